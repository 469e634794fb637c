package edge

import (
	"errors"
	"net/http"
	"time"

	"agora/internal/edge/cache"
)

// flight is one origin fetch that concurrent misses for a key wait on
// (DESIGN.md, "Request coalescing").
type flight struct {
	done    chan struct{}
	res     *fetched
	waiters int // protected by Edge.mu
}

// flightKey is the primary key: the origin is asked for the identity coding
// whatever the client accepts, so requests differing only in
// Accept-Encoding share one fetch.
func flightKey(r *http.Request) string {
	return cache.Key(r, nil)
}

// coalescable reports whether r may lead or join a flight: a GET whose
// response is the page everyone gets. A Range or no-store request goes to
// the origin alone, so that neither its partial answer nor its refusal to
// store stands in for the others' (nor takes the key for uncacheable).
func coalescable(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Range") == "" && !cache.RequestDirectives(r.Header).NoStore
}

// errFetchPanicked is what the waiters of a fetch that panicked get; the
// panic itself goes on up the leader's request.
var errFetchPanicked error = &originError{http.StatusServiceUnavailable, errors.New("edge: the origin fetch this request waited on panicked")}

// coalesce fetches r once for all concurrent requests with its key. The
// leader's response is shared only if it was stored (so it is public) and
// the waiter's request selects the same variant; otherwise each waiter
// fetches for itself. When the bounds on waiters are passed it returns nil
// and the caller decides (serve stale, or go to origin alone).
func (e *Edge) coalesce(r *http.Request, stale *cache.Entry) (res *fetched, collapsed bool) {
	key := flightKey(r)
	e.mu.Lock()
	f := e.flights[key]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		e.flights[key] = f
		e.mu.Unlock()
		e.lead(f, key, r, stale)
		return f.res, false
	}
	if f.waiters >= e.MaxWaiters {
		e.mu.Unlock()
		return nil, false
	}
	f.waiters++
	e.mu.Unlock()
	e.coalesced.Add(1)
	if e.joined != nil {
		e.joined()
	}

	t := time.NewTimer(e.WaitTimeout)
	defer t.Stop()
	select {
	case <-f.done:
	case <-t.C:
		return nil, false
	case <-r.Context().Done():
		return &fetched{err: r.Context().Err()}, true
	}
	switch {
	case f.res.err != nil:
		// The origin is unreachable: asking again at once would not help.
		return f.res, true
	case f.res.shareable() && cache.Key(r, f.res.entry.Vary) == f.res.entry.Key:
		return f.res.forWaiter(), true
	}
	return e.fetch(r, stale), false
}

// lead makes f's fetch and lands it: the key leaves the flight map and the
// waiters are released even when the fetch panics (as in singleflight),
// so no later request waits WaitTimeout on a flight that never lands.
func (e *Edge) lead(f *flight, key string, r *http.Request, stale *cache.Entry) {
	landed := false
	defer func() {
		if !landed {
			f.res = &fetched{err: errFetchPanicked}
		}
		e.mu.Lock()
		delete(e.flights, key)
		if landed && uncacheable(f.res) {
			// Not storable: later requests go straight to origin for a
			// while instead of queueing behind each other.
			e.rememberUncacheable(key)
		}
		e.mu.Unlock()
		close(f.done)
	}()
	f.res = e.fetch(r, stale)
	landed = true
}

// uncacheable reports whether res was not stored for what the origin said
// of it (status, directives, a cookie, size), so the next response likely
// will not be either; not when a purge kept it out, nor when the request
// itself did.
func uncacheable(res *fetched) bool {
	if res.err != nil || res.status >= 500 || res.entry != nil {
		return false
	}
	switch res.reason {
	case cache.ReasonPurged, cache.ReasonMethod, cache.ReasonRequestNoStor, cache.ReasonAuthorization,
		reasonShieldBehind, reasonShieldStale, reasonShieldUnstamped: // the shield's state, not the page's
		return false
	}
	return true
}

// isUncacheable reports whether key recently answered with a response that
// could not be stored.
func (e *Edge) isUncacheable(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.uncacheable[key]
	if ok && !e.Now().Before(until) {
		delete(e.uncacheable, key)
		return false
	}
	return ok
}

// maxUncacheable bounds the uncacheable set, so a crawl of unique private
// URLs cannot grow it without end.
const maxUncacheable = 1 << 16

// rememberUncacheable records key for UncacheableTTL; e.mu is held.
func (e *Edge) rememberUncacheable(key string) {
	now := e.Now()
	if len(e.uncacheable) >= maxUncacheable {
		for k, until := range e.uncacheable {
			if !now.Before(until) {
				delete(e.uncacheable, k)
			}
		}
		if len(e.uncacheable) >= maxUncacheable {
			clear(e.uncacheable)
		}
	}
	e.uncacheable[key] = now.Add(e.UncacheableTTL)
}

// forWaiter is res as a coalesced waiter gets it: without the fields the
// origin wrote for the leader's request only.
func (res *fetched) forWaiter() *fetched {
	w := *res
	w.header = res.header.Clone()
	removePerRequest(w.header)
	return &w
}
