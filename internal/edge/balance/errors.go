package balance

import "agora/internal/fault"

// The errors of a request's pick are fault.Unavailable: the edge answers
// them with 503 and Retry-After (issue 10). The others are the operator's.
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
	// ErrUnknownBackend: Hold or Unhold named a URL that is not a member
	// (nor, for Unhold, held).
	ErrUnknownBackend = &fault.Error{Code: fault.NotFound, Message: "balance: no such backend in the pool"}
	// ErrNotDraining: Wait was called on a backend still in the pool.
	ErrNotDraining = &fault.Error{Code: fault.Invalid, Message: "balance: the backend is not draining"}
)
