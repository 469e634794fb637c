package edge

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"agora/internal/edge/cache"
)

// fetchAndServe answers r from the origin (coalesced when it may be), once
// the firewall admits it, and falls back to stale, within stale-if-error,
// when the origin fails. fwd is the RFC 9211 reason the request went
// forward.
func (e *Edge) fetchAndServe(w http.ResponseWriter, r *http.Request, stale *cache.Entry, fwd string) {
	if !e.admit(w, r) {
		return
	}
	var res *fetched
	collapsed := false
	if coalescable(r) && !e.isUncacheable(cache.Key(r, nil)) {
		res, collapsed = e.coalesce(r, stale)
		if res == nil { // past the waiting bounds
			if usableOnError(stale, e.Now()) {
				e.staleServed.Add(1)
				e.serveEntry(w, r, stale, e.Now(), "agora; fwd="+fwd+"; detail=busy")
				return
			}
			res = e.fetch(r, stale)
		}
	} else {
		res = e.fetch(r, stale)
	}
	e.respond(w, r, res, stale, fwd, collapsed)
}

// respond writes res, or stale when res is an origin failure.
func (e *Edge) respond(w http.ResponseWriter, r *http.Request, res *fetched, stale *cache.Entry, fwd string, collapsed bool) {
	now := e.Now()
	if res.err != nil || res.status >= 500 {
		cs := "agora; fwd=" + fwd
		if res.err == nil {
			cs += "; fwd-status=" + strconv.Itoa(res.status)
		}
		if usableOnError(stale, now) {
			if res.stream != nil {
				res.stream.Close()
			}
			e.staleServed.Add(1)
			e.serveEntry(w, r, stale, now, cs+"; detail=stale-if-error")
			return
		}
		if res.err != nil {
			e.front.originFailures.Add(1)
			e.Log.Warn("edge: no backend answered", "path", r.URL.Path, "err", res.err)
			originFailed(w, r, originStatus(res.err), cs)
			return
		}
	}
	h := w.Header()
	for k, v := range res.header {
		h[k] = slices.Clone(v)
	}
	cs := "agora; fwd=" + fwd
	if res.revalidated {
		cs += "; fwd-status=304"
	}
	switch {
	case res.entry != nil && !collapsed:
		cs += "; stored"
	case res.entry != nil:
		cs += "; collapsed"
	case res.reason != "":
		cs += "; detail=" + res.reason
	}
	h.Set("Cache-Status", cs)
	if stampShield(h, r, res.tags, false) {
		if res.targeted != "" {
			h.Set("Surrogate-Control", res.targeted)
		}
	} else if res.entry != nil {
		e.Downstream.addFields(h, res.entry)
	}
	if res.entry != nil && res.status == res.entry.Status {
		// Stored: coded variants and the client's conditionals apply. A
		// revalidated response is a use of the stored one, which may now
		// earn its codings (withEncoded); a new one is served identity.
		ent := res.entry
		if res.revalidated {
			ent = e.withEncoded(r, ent)
		}
		e.writeEntryBody(w, r, ent)
		return
	}
	if res.stream != nil {
		defer res.stream.Close()
		w.WriteHeader(res.status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, res.stream)
		}
		return
	}
	if r.Method == http.MethodHead {
		headFields(h, r, res.status)
		w.WriteHeader(res.status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(res.body)))
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// serveEntry writes a stored response with its current Age (RFC 9111 §5.1).
func (e *Edge) serveEntry(w http.ResponseWriter, r *http.Request, ent *cache.Entry, now time.Time, cacheStatus string) {
	h := w.Header()
	for k, v := range ent.Header {
		h[k] = slices.Clone(v)
	}
	if !stampShield(h, r, ent.Tags, ent.State(now) != cache.Fresh) {
		h.Del("Surrogate-Control") // kept for revalidation, sent to a PoP only
		e.Downstream.addFields(h, ent)
	}
	h.Set("Age", strconv.FormatInt(int64(ent.Freshness.Age(ent.StoredAt, now)/time.Second), 10))
	h.Set("Cache-Status", cacheStatus)
	e.writeEntryBody(w, r, e.withEncoded(r, ent))
}

// writeEntryBody writes ent's status and body, in the coding r accepts, on
// the fields already set on w; or a 304 when r's own conditionals say the
// client has it (RFC 9111 §4.3.2).
func (e *Edge) writeEntryBody(w http.ResponseWriter, r *http.Request, ent *cache.Entry) {
	h := w.Header()
	b := selectBody(h, r, ent)
	if notModified(r, ent) {
		writeNotModified(w)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ent.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// ttlParam is RFC 9211's ttl: remaining freshness, negative once stale; a
// soft-purged entry is stale whatever its age said, so at most 0.
func ttlParam(ent *cache.Entry, now time.Time) string {
	ttl := ent.Freshness.Lifetime - ent.Freshness.Age(ent.StoredAt, now)
	if ent.SoftPurged() {
		ttl = min(ttl, 0)
	}
	return "; ttl=" + strconv.FormatInt(int64(ttl/time.Second), 10)
}
