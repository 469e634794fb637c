package edge

import (
	"context"
	"net/http"
	"runtime/debug"
	"time"

	"agora/internal/edge/cache"
)

// Cache-Status values for stale responses (RFC 9211):
//
//   - within stale-while-revalidate (RFC 5861 §3) the client's request is not
//     forwarded, so it is a "hit"; the negative ttl says the response is stale
//     and detail=stale-while-revalidate says why it was served anyway;
//   - with stale-if-error (RFC 5861 §4) the request was forwarded because the
//     stored response was stale ("fwd=stale", or "fwd=request" when the
//     request's own directives forced it), the origin failed, and the stored
//     response was served: fwd-status carries the origin's 5xx if it answered
//     at all, detail=stale-if-error says why.

// serveStaleRevalidate serves ent at once and starts its refresh.
func (e *Edge) serveStaleRevalidate(w http.ResponseWriter, r *http.Request, ent *cache.Entry, now time.Time) {
	e.hits.Add(1)
	e.staleServed.Add(1)
	ent = e.withEncoded(r, ent) // first, so the refreshed version keeps its codings
	e.refresh(r, ent)
	e.serveEntry(w, r, ent, now, "agora; hit"+ttlParam(ent, now)+"; detail=stale-while-revalidate")
}

// refresh fetches ent's URL in the background, once per key however many
// requests see the entry stale meanwhile, and at most MaxBackgroundFetches
// at once: past that it starts nothing (the caller serves the stale page
// all the same, and the next request to find it stale tries again), so a
// soft purge of a tag on thousands of hot pages, or a cache going stale
// all at once, cannot flood the app tier (issue 10).
func (e *Edge) refresh(r *http.Request, ent *cache.Entry) {
	e.mu.Lock()
	if e.refreshing[ent.Key] {
		e.mu.Unlock()
		return
	}
	select {
	case e.bgSlots <- struct{}{}:
	default:
		e.mu.Unlock()
		e.refreshesSkipped.Add(1)
		return
	}
	e.refreshing[ent.Key] = true
	e.mu.Unlock()
	g := refreshRequest(r)
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		defer func() {
			// A refresh has no request to fail: a panic is logged with its
			// stack and the key freed, so the next stale hit tries again
			// instead of no refresh ever starting for it, and one bad page
			// does not take the edge down.
			if p := recover(); p != nil {
				e.Log.Error("edge: background refresh panicked", "path", g.URL.Path, "panic", p, "stack", string(debug.Stack()))
			}
			e.mu.Lock()
			delete(e.refreshing, ent.Key)
			e.mu.Unlock()
			<-e.bgSlots
		}()
		// The refresh carries the fields of the request that found the
		// page stale (its cookies among them) to the app: the firewall
		// sees it first, and in block mode a refused one is not sent
		// (the stale page stays; the next shopper's request refreshes it).
		if e.WAF != nil && e.WAF.Inspect(g, ensureRequestID(g)).Block {
			return
		}
		res := e.fetch(g, ent)
		if res.stream != nil {
			res.stream.Close()
		}
		if uncacheable(res) && res.reason != cache.ReasonSetCookie {
			// The origin no longer lets this be stored. A cookie set for
			// the visitor whose request is the refresh's model is not the
			// page's fault: the stale page stays until it expires.
			e.invalidate(g)
		}
	}()
}

// refreshRequest is the edge's own GET for a refresh, modeled on the
// request that found the entry stale: its header fields still select the
// variant, but the fields that speak for that request's answer only (a
// range, its conditionals, its cache directives) are dropped, so the
// refresh asks for the page everyone gets.
func refreshRequest(r *http.Request) *http.Request {
	g := r.Clone(context.WithoutCancel(r.Context()))
	g.Method = http.MethodGet
	for _, f := range []string{"Range", "If-Range", "If-Match", "If-Unmodified-Since", "Cache-Control", "Pragma"} {
		g.Header.Del(f)
	}
	return g
}

// usableOnError reports whether ent may stand in for a failed origin.
func usableOnError(ent *cache.Entry, now time.Time) bool {
	return ent != nil && ent.State(now) != cache.Stale
}

// unavailable is the answer when no backend can be reached and nothing
// usable is stored: a plain page, never cached, with a hint to retry.
func unavailable(w http.ResponseWriter, r *http.Request, cacheStatus string) {
	originFailed(w, r, http.StatusServiceUnavailable, cacheStatus)
}

// originFailed answers a request no backend answered usably, with the
// status origin.go chose: 503 (with Retry-After: no backend could take it),
// 502 (a bad answer or a broken connection) or 504 (none in time).
func originFailed(w http.ResponseWriter, r *http.Request, status int, cacheStatus string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "10")
	}
	h.Set("Cache-Status", cacheStatus)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(unavailablePage))
	}
}

const unavailablePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>We'll be right back</h1>
<p>The shop is temporarily unavailable. Please try again in a moment.</p>
</body></html>
`
