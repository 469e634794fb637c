package balance

import "agora/internal/fault"

// The errors of this package are fault.Unavailable: the edge answers them
// with 503 and Retry-After (issue 10).
var (
	// ErrNoBackend: the pool has no member to send a request to, or every
	// member was excluded by the caller.
	ErrNoBackend = &fault.Error{Code: fault.Unavailable, Message: "balance: no backend is available"}
	// ErrOverloaded: the backend is at its in-flight limit and its queue is
	// full or the wait in it timed out.
	ErrOverloaded = &fault.Error{Code: fault.Unavailable, Message: "balance: the backend is at its limit"}
	// ErrDraining: the backend finished draining after it was picked; pick
	// again.
	ErrDraining = &fault.Error{Code: fault.Unavailable, Message: "balance: the backend is draining"}
	// ErrNotDraining: Wait was called on a backend still in the pool.
	ErrNotDraining = &fault.Error{Code: fault.Invalid, Message: "balance: the backend is not draining"}
)
