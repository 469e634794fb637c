package edge

import (
	"net/http"
	"strings"
	"time"

	"agora/internal/edge/cache"
)

// clientConditionals are the request fields the edge answers itself for a
// request it may store; they are not forwarded, so the origin's answer is a
// full response the edge can store, and the edge evaluates them against it.
var clientConditionals = []string{"If-None-Match", "If-Modified-Since"}

// setValidators makes out a conditional request for stale's validators
// (RFC 9111 §4.3.1) and reports whether it did.
func setValidators(out *http.Request, stale *cache.Entry) bool {
	if stale == nil || isMarker(stale) || (stale.ETag == "" && stale.LastModified == "") {
		return false
	}
	if stale.ETag != "" {
		out.Header.Set("If-None-Match", stale.ETag)
	}
	if stale.LastModified != "" {
		out.Header.Set("If-Modified-Since", stale.LastModified)
	}
	return true
}

// notUpdated are the stored fields a 304 does not replace (RFC 9111 §3.2):
// Content-Length, and the fields describing the stored body's coding, which
// the edge made itself from the identity body.
var notUpdated = map[string]bool{"Content-Length": true, "Content-Encoding": true, "Content-Range": true}

// revalidated freshens stale with the origin's 304 (RFC 9111 §4.3.4): the
// 304's fields replace the stored ones, freshness is computed anew, and the
// stored body (and its coded variants) are kept. h304 has hop-by-hop fields
// removed but still carries the tag fields.
func (e *Edge) revalidated(r *http.Request, stale *cache.Entry, h304 http.Header, reqTime time.Time, since cache.Gen) *fetched {
	e.revalidations.Add(1)
	stamp := takeShieldStamp(h304)
	h := stale.Header.Clone()
	for k, v := range h304 {
		if !notUpdated[k] {
			h[k] = v
		}
	}
	tags := stale.Tags
	if sk := h.Get("Surrogate-Key"); sk != "" {
		tags = strings.Fields(sk)
	}
	res := &fetched{status: stale.Status, header: h.Clone(), body: stale.Body, revalidated: true,
		tags: tags, targeted: h.Get("Surrogate-Control")}
	stripTags(res.header)
	res.header.Del("Surrogate-Control")
	if ok, reason := cache.Storable(r, stale.Status, h); !ok {
		// The body still answers this request, but the store is updated
		// only for the origin's own say, never for this request's: a HEAD
		// or a no-store request leaves the stored response as it is
		// (RFC 9111 §5.2.1.5), and so does a cookie set for this visitor.
		// Only when the origin no longer lets the page be stored does it go.
		if req, _ := cache.StorableRequest(r); req && reason != cache.ReasonSetCookie {
			e.Store.PurgeKey(stale.Key)
		}
		res.reason = reason
		return res
	}
	if why := e.shieldRefuses(stamp, tags); why != "" {
		// The shield's 304 may be about a page a purge applied here
		// covers: the stored page is left as it is (stale, or soft
		// purged) and this answer only serves this request.
		res.reason = why
		return res
	}
	respTime := e.Now()
	h.Del("Surrogate-Key")
	h.Del("Age")
	removePerRequest(h)
	addDate(h, respTime)
	date, _ := http.ParseTime(h.Get("Date"))
	ent := &cache.Entry{
		Key: stale.Key, Status: stale.Status, Header: h, Body: stale.Body,
		Compressible: stale.Compressible, Encoded: stale.Encoded,
		Tags: tags, StoredAt: respTime, Date: date,
		Freshness: e.Policy.Freshness(stale.Status, h, reqTime, respTime),
		ETag:      h.Get("ETag"), LastModified: h.Get("Last-Modified"), Vary: stale.Vary,
	}
	prepareHeads(ent, e.Downstream)
	if err := e.Store.PutFetched(ent, since); err != nil {
		// Purged meanwhile: the 304 said the page was unchanged before
		// the purge, which says it changed since.
		res.reason = putReason(err)
		return res
	}
	res.entry = ent
	return res
}

// notModified reports whether r's own conditionals (RFC 9110 §13.1.2,
// §13.1.3) say the client already has ent, so a 304 answers it. Only a 200
// has a selected representation to compare against; If-None-Match, when
// present, decides alone, with the weak comparison.
func notModified(r *http.Request, ent *cache.Entry) bool {
	if ent.Status != http.StatusOK {
		return false
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return ent.ETag != "" && etagMatches(inm, ent.ETag)
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	if err != nil || ent.LastModified == "" {
		return false
	}
	lm, err := http.ParseTime(ent.LastModified)
	return err == nil && !lm.After(ims)
}

// etagMatches is the weak comparison of RFC 9110 §8.8.3.2 of etag against
// an If-None-Match list.
func etagMatches(list, etag string) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(list, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}

// notModifiedFields are what a 304 carries from the 200 it stands for
// (RFC 9110 §15.4.5), plus the cache's own Age and Cache-Status.
// The fields for a downstream CDN or a PoP (downstream.go, shield.go)
// revalidate its copy like the rest.
var notModifiedFields = []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Vary", "Last-Modified", "Age", "Cache-Status",
	"Cdn-Cache-Control", "Surrogate-Control", "Surrogate-Key", "Cache-Tag", shieldField}

// writeNotModified answers with a 304 made from the fields already set on
// w's header for the full response.
func writeNotModified(w http.ResponseWriter) {
	h := w.Header()
	keep := make(http.Header, len(notModifiedFields))
	for _, k := range notModifiedFields {
		if v, ok := h[k]; ok {
			keep[k] = v
		}
	}
	clear(h)
	for k, v := range keep {
		h[k] = v
	}
	w.WriteHeader(http.StatusNotModified)
}
