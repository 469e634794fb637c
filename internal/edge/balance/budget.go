package balance

import (
	"sync"
	"sync/atomic"
)

// RetryBudget bounds retries so that they cannot amplify an outage: a
// retry may start while the retries in flight stay under
// max(Min, Ratio × requests in flight), Envoy's retry budget (budget_percent
// 20%) with Linkerd's floor of 10 (its minRetriesPerSecond; Envoy's
// min_retry_concurrency is 3). The floor is what lets every request a
// killed backend held go to another at a modest rate: with 3, three of six
// GETs cut at once failed (the kill test, cmd/agora). When every backend
// fails, a client request costs at most 1 + Ratio attempts on average
// beyond the floor instead of 1 + retries. The zero value is these
// defaults. Safe for concurrent use.
type RetryBudget struct {
	Ratio float64 // if 0, 0.2
	Min   int64   // if 0, 10

	active  atomic.Int64 // client requests in flight, between Start and done
	retries atomic.Int64 // retries in flight, between Retry and done
	denied  atomic.Uint64
}

// Start counts a client request in flight; call done when it ends (a
// second call does nothing).
func (rb *RetryBudget) Start() (done func()) {
	rb.active.Add(1)
	return sync.OnceFunc(func() { rb.active.Add(-1) })
}

// Retry takes a retry from the budget: ok is false when it is spent, and
// the caller answers with what it has. When ok, call done when the retry
// ends.
func (rb *RetryBudget) Retry() (done func(), ok bool) {
	ratio, least := rb.Ratio, rb.Min
	if ratio <= 0 {
		ratio = 0.2
	}
	if least <= 0 {
		least = 10
	}
	for {
		n := rb.retries.Load()
		// Rounded down, as Envoy does.
		if n >= max(least, int64(ratio*float64(rb.active.Load()))) {
			rb.denied.Add(1)
			return nil, false
		}
		if rb.retries.CompareAndSwap(n, n+1) {
			return sync.OnceFunc(func() { rb.retries.Add(-1) }), true
		}
	}
}

// BudgetStatus is a RetryBudget's figures for /_agora/status.
type BudgetStatus struct {
	Active   int64  `json:"active"`
	Retrying int64  `json:"retrying"`
	Denied   uint64 `json:"denied"` // retries refused since start
}

func (rb *RetryBudget) Status() BudgetStatus {
	return BudgetStatus{Active: rb.active.Load(), Retrying: rb.retries.Load(), Denied: rb.denied.Load()}
}
