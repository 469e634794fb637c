package edge

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httputil"
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
}

// shareable reports whether res may be handed to other requests: only a
// stored response is, since one that was not storable may be private.
func (res *fetched) shareable() bool { return res.err == nil && res.entry != nil }

// hopByHop are the fields a proxy must not forward (RFC 9110 §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization"}

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

// fetch gets r from a backend, trying the next one when a backend cannot be
// reached (GET and HEAD are idempotent, RFC 9110 §9.2.2), and stores the
// response when it may. The fetch outlives r's cancellation, because
// coalesced waiters and the store depend on it, but not FetchTimeout.
func (e *Edge) fetch(r *http.Request) *fetched {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), e.FetchTimeout)
	var resp *http.Response
	var err error
	reqTime := e.Now()
	for range e.Backends {
		out := r.Clone(ctx)
		out.RequestURI, out.Body, out.ContentLength = "", nil, 0
		removeHopByHop(out.Header)
		// Ask for exactly the coding the key holds (DESIGN.md, "Full-page
		// cache"), which also stops the Transport decoding gzip itself.
		out.Header.Set("Accept-Encoding", cache.NormalizeAcceptEncoding(r.Header.Get("Accept-Encoding")))
		e.rewrite(&httputil.ProxyRequest{In: r, Out: out}, e.next())
		resp, err = e.Transport.RoundTrip(out)
		if err == nil || ctx.Err() != nil {
			break
		}
		e.Log.Warn("edge: backend failed", "backend", out.URL.Host, "path", r.URL.Path, "err", err)
	}
	if err != nil {
		cancel()
		return &fetched{err: err}
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, e.MaxBuffer+1))
	if err != nil {
		resp.Body.Close()
		cancel()
		return &fetched{err: err}
	}
	res := &fetched{status: resp.StatusCode, header: resp.Header}
	removeHopByHop(res.header)
	tags := strings.Fields(res.header.Get("Surrogate-Key"))
	stored := res.header.Clone()
	stripTags(res.header)
	if int64(len(buf)) > e.MaxBuffer {
		res.stream = &streamBody{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), body: resp.Body, cancel: cancel}
		res.reason = "too-large"
		return res
	}
	resp.Body.Close()
	cancel()
	res.body = buf
	res.entry, res.reason = e.store(r, res, stored, tags, reqTime)
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
func (e *Edge) store(r *http.Request, res *fetched, origHeader http.Header, tags []string, reqTime time.Time) (*cache.Entry, string) {
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
	if fr.Lifetime <= 0 {
		// Without revalidation (not done yet) an entry stale on arrival is
		// of no use.
		return nil, "no-lifetime"
	}
	h := res.header.Clone()
	h.Del("Age") // recomputed on every hit (RFC 9111 §5.1)
	h.Del("Set-Cookie")
	vary, _ := cache.ParseVary(origHeader)
	date, _ := http.ParseTime(origHeader.Get("Date"))
	ent := &cache.Entry{
		Key: cache.Key(r, vary), Status: res.status, Header: h, Body: res.body, Tags: tags,
		StoredAt: respTime, Date: date, Freshness: fr,
		ETag: origHeader.Get("ETag"), LastModified: origHeader.Get("Last-Modified"), Vary: vary,
	}
	if err := e.Store.Put(ent); err != nil {
		return nil, "too-large"
	}
	if len(vary) > 0 {
		marker := &cache.Entry{Key: cache.Key(r, nil), Vary: vary, Tags: tags, StoredAt: respTime, Freshness: fr}
		if err := e.Store.Put(marker); err != nil {
			e.Store.PurgeKey(ent.Key)
			return nil, "too-large"
		}
	}
	return ent, ""
}
