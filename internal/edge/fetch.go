package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"time"

	"agora/internal/edge/cache"
)

// fetched is one origin response to a GET or HEAD, buffered so it can be
// stored and handed to coalesced waiters.
type fetched struct {
	err    error // the origin could not be reached or timed out
	status int
	header http.Header // hop-by-hop and tag fields removed
	body   []byte
	// stream is set, instead of body, for a response over MaxBuffer: it
	// goes to its one client and is not stored.
	stream io.ReadCloser
	entry  *cache.Entry // what was stored, nil if nothing
	reason string       // why nothing was stored
	// revalidated: the origin answered 304 and body is the stored one.
	revalidated bool
	// tags and targeted are the response's Surrogate-Key list and its
	// Surrogate-Control, which only a PoP of this shield is sent.
	tags     []string
	targeted string
}

// shareable reports whether res may be handed to other requests: only a
// stored response is, since one that was not storable may be private.
func (res *fetched) shareable() bool { return res.err == nil && res.entry != nil }

// hopByHop are the fields a proxy must not forward (RFC 9110 §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization"}

// perRequest are response fields an origin writes for one request (the
// app echoes its X-Request-Id): stored, they would be replayed to every
// hit, so only the response to that request carries them (issue 9).
var perRequest = []string{"X-Request-Id", "Server-Timing"}

// removePerRequest removes the perRequest fields from h.
func removePerRequest(h http.Header) {
	for _, f := range perRequest {
		h.Del(f)
	}
}

func removeHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, f := range hopByHop {
		h.Del(f)
	}
}

// fetch gets r from a backend of the pool, trying another when one fails
// (origin.go), and stores the
// response when it may. The fetch outlives r's cancellation, because
// coalesced waiters and the store depend on it, but not FetchTimeout.
// When stale has validators the request is conditional, and a 304 freshens
// stale instead of replacing it (RFC 9111 §4.3).
func (e *Edge) fetch(r *http.Request, stale *cache.Entry) *fetched {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), e.FetchTimeout)
	var resp *http.Response
	var err error
	var conditional bool
	// Before the origin is asked: a purge applied from now on may cover
	// what it answers (cache/history.go).
	since := e.Store.BeginFetch()
	defer e.Store.EndFetch(since)
	reqTime := e.Now()
	out := r.Clone(ctx)
	out.RequestURI, out.Body, out.ContentLength = "", nil, 0
	out.URL.RawQuery = cache.WithoutTracking(out.URL.RawQuery) // the key leaves them out
	removeHopByHop(out.Header)
	// Ask for the identity coding: the edge compresses stored objects
	// itself (compress.go), so one object serves every client. Setting
	// it also stops the Transport asking for gzip and decoding it.
	out.Header.Set("Accept-Encoding", "identity")
	if mayStore(r) {
		for _, f := range clientConditionals {
			out.Header.Del(f)
		}
	}
	conditional = setValidators(out, stale)
	e.rewrite(&httputil.ProxyRequest{In: r, Out: out})
	// The pool tries another backend when one fails (GET and HEAD are
	// idempotent, RFC 9110 §9.2.2), within FetchTimeout (origin.go).
	resp, err = e.roundTrip(out)
	if err != nil {
		cancel()
		return &fetched{err: err}
	}
	if conditional && resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		cancel()
		removeHopByHop(resp.Header)
		return e.revalidated(r, stale, resp.Header, reqTime, since)
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, e.MaxBuffer+1))
	if err != nil {
		resp.Body.Close()
		cancel()
		return &fetched{err: err}
	}
	res := &fetched{status: resp.StatusCode, header: resp.Header}
	removeHopByHop(res.header)
	stamp := takeShieldStamp(res.header)
	tags := strings.Fields(res.header.Get("Surrogate-Key"))
	res.tags, res.targeted = tags, res.header.Get("Surrogate-Control")
	stored := res.header.Clone()
	stripTags(res.header)
	if int64(len(buf)) > e.MaxBuffer {
		res.stream = &streamBody{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), body: resp.Body, cancel: cancel}
		res.reason = "too-large"
		return res
	}
	resp.Body.Close()
	cancel()
	if cap(buf)-len(buf) > len(buf)/16 {
		// io.ReadAll grows by doubling: a stored body keeps only its bytes,
		// so the store's byte count is what it holds.
		buf = bytes.Clone(buf)
	}
	res.body = buf
	if why := e.shieldRefuses(stamp, tags); why != "" {
		res.reason = why
		return res
	}
	res.entry, res.reason = e.store(r, res, stored, tags, reqTime, since)
	return res
}

type streamBody struct {
	io.Reader
	body   io.Closer
	cancel context.CancelFunc
}

func (s *streamBody) Close() error {
	err := s.body.Close()
	s.cancel()
	return err
}

// store puts res in the store when RFC 9111 §3 and the policy allow, and
// returns the entry, or why there is none. origHeader still has the tag
// fields, which the cache itself reads (RFC 9213 targeted fields).
func (e *Edge) store(r *http.Request, res *fetched, origHeader http.Header, tags []string, reqTime time.Time, since cache.Gen) (*cache.Entry, string) {
	if r.Method != http.MethodGet {
		return nil, cache.ReasonMethod
	}
	if r.Header.Get("Authorization") != "" {
		return nil, cache.ReasonAuthorization // DESIGN.md: never, even if public
	}
	if ok, reason := cache.Storable(r, res.status, origHeader); !ok {
		return nil, reason
	}
	respTime := e.Now()
	fr := e.Policy.Freshness(res.status, origHeader, reqTime, respTime)
	etag, lastMod := origHeader.Get("ETag"), origHeader.Get("Last-Modified")
	if fr.Lifetime <= 0 && etag == "" && lastMod == "" {
		// Stale on arrival and nothing to revalidate with: of no use. With
		// a validator it is stored and revalidated on every use (max-age=0,
		// no-cache; RFC 9111 §4.3.1), which saves the body transfer.
		return nil, "no-lifetime"
	}
	// Surrogate-Control stays in the stored fields (and is removed when
	// served) so that a 304 without it recomputes the same freshness.
	h := origHeader.Clone()
	h.Del("Surrogate-Key")
	h.Del("Age") // recomputed on every hit (RFC 9111 §5.1)
	h.Del("Set-Cookie")
	removePerRequest(h)
	addDate(h, respTime)
	vary := keyVary(origHeader)
	date, _ := http.ParseTime(origHeader.Get("Date"))
	ent := &cache.Entry{
		Key: cache.Key(r, vary), Status: res.status, Header: h, Body: res.body, Tags: tags,
		Compressible: compressible(h, res.body),
		StoredAt:     respTime, Date: date, Freshness: fr,
		ETag: etag, LastModified: lastMod, Vary: vary,
	}
	prepareHeads(ent, e.Downstream)
	if err := e.Store.PutFetched(ent, since); err != nil {
		return nil, putReason(err)
	}
	if len(vary) > 0 {
		marker := &cache.Entry{Key: cache.Key(r, nil), Vary: vary, Tags: tags, StoredAt: respTime, Freshness: fr}
		if err := e.Store.PutFetched(marker, since); err != nil {
			e.Store.PurgeKey(ent.Key)
			return nil, putReason(err)
		}
	}
	return ent, ""
}

// putReason is the Cache-Status detail for a response the store refused.
func putReason(err error) string {
	if errors.Is(err, cache.ErrPurged) {
		return cache.ReasonPurged
	}
	return "too-large"
}

// addDate gives a response that came without Date the time it was
// received, as a cache must (RFC 9110 §6.6.1), so every copy served says
// the same.
func addDate(h http.Header, received time.Time) {
	if h.Get("Date") == "" {
		h.Set("Date", received.UTC().Format(http.TimeFormat))
	}
}

// mayStore reports whether the response to r could be stored: only then
// does the edge answer r's conditionals itself.
func mayStore(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Authorization") == ""
}

// keyVary is the Vary list that selects a stored variant. Accept-Encoding
// is left out for an identity response: the edge made the codings itself,
// so one object answers every Accept-Encoding. A response the origin coded
// anyway keeps it, and is only served to requests that asked alike.
func keyVary(h http.Header) []string {
	vary, _ := cache.ParseVary(h)
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return vary
	}
	return slices.DeleteFunc(vary, func(n string) bool { return n == "Accept-Encoding" })
}
