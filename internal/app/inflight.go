package app

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"agora/internal/api"
	"agora/internal/cachehdr"
)

// Defaults of the concurrency limit's queue (Config.MaxQueue,
// Config.QueueTimeout).
const (
	// DefaultQueueTimeout is long enough to ride out a burst a running
	// instance clears in a moment, short enough that a shopper is sent
	// elsewhere (the edge retries a 503 on another instance) before they
	// notice.
	DefaultQueueTimeout = time.Second
	// overloadRetryAfter is the Retry-After of a 503 from the limit, in
	// seconds: by then the queue has turned over, or the autoscaler added
	// an instance.
	overloadRetryAfter = 1
)

// admission bounds the requests one instance handles at once (issue 11): at
// most cap(slots) run; up to maxQueue more wait, in arrival order, for at
// most timeout; the rest are answered 503 with Retry-After before any
// handler runs, so the work was not done and the edge may send the request
// to another instance. Load beyond capacity thus shows as a queue (the
// agora_http_queued gauge, which an autoscaler can read) and as prompt 503s,
// not as every request slowing down together until all of them time out.
// A nil *admission admits everything.
type admission struct {
	slots    chan struct{} // a token per request being handled
	maxQueue int64
	timeout  time.Duration
	queued   atomic.Int64  // requests waiting for a slot now
	rejected atomic.Uint64 // answered 503: queue full or waited too long
}

func newAdmission(maxInFlight, maxQueue int, timeout time.Duration) *admission {
	if maxInFlight <= 0 {
		return nil
	}
	if maxQueue < 0 {
		maxQueue = 0
	}
	if timeout <= 0 {
		timeout = DefaultQueueTimeout
	}
	return &admission{slots: make(chan struct{}, maxInFlight), maxQueue: int64(maxQueue), timeout: timeout}
}

// admit wraps next in the limit. Exempt are the health endpoints (a checker
// must learn "alive" and "ready" from an instance that is merely busy, or
// the balancer takes a loaded instance out and overloads the others) and
// the purge log's long poll, which holds its request open for minutes and
// would otherwise keep a slot from shoppers (purges.go).
func (s *Server) admit(next http.Handler) http.Handler {
	a := s.admission
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exemptFromLimit(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case a.slots <- struct{}{}: // a free slot: the common case, no timer
		default:
			if !a.wait(w, r) {
				return
			}
		}
		defer func() { <-a.slots }()
		next.ServeHTTP(w, r)
	})
}

// wait queues r for a slot. It returns true holding one, or false after
// answering (503) or when the client left.
func (a *admission) wait(w http.ResponseWriter, r *http.Request) bool {
	if a.queued.Add(1) > a.maxQueue {
		a.queued.Add(-1)
		a.rejected.Add(1)
		overloaded(w, r)
		return false
	}
	defer a.queued.Add(-1)
	t := time.NewTimer(a.timeout)
	defer t.Stop()
	// Senders blocked on a channel are woken in the order they blocked:
	// the queue is first come, first served.
	select {
	case a.slots <- struct{}{}:
		return true
	case <-t.C:
		a.rejected.Add(1)
		overloaded(w, r)
		return false
	case <-r.Context().Done():
		return false // counted and logged as 499 by observe
	}
}

func exemptFromLimit(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz":
		return true
	case purgesPath:
		return r.Method == http.MethodGet
	}
	return false
}

// overloaded answers a request the limit turned away: 503 with Retry-After
// (RFC 9110 §15.6.4), JSON under /api/, plain text elsewhere.
func overloaded(w http.ResponseWriter, r *http.Request) {
	const msg = "This server is busy; please try again in a moment."
	w.Header().Set("Retry-After", strconv.Itoa(overloadRetryAfter))
	if isAPI(r) {
		api.WriteJSON(w, http.StatusServiceUnavailable, cachehdr.Private, map[string]map[string]string{
			"error": {"code": "unavailable", "message": msg}})
		return
	}
	plain(w, http.StatusServiceUnavailable, msg)
}
