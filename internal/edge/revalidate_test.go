package edge

import (
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// validatingOrigin answers 304 when the request's validators match its
// current ones, counting conditional requests; body is the 200's body.
type validatingOrigin struct {
	*origin
	conditional atomic.Int64
	version     atomic.Int64 // sent as X-Version, changes on 304 too
}

func newValidatingOrigin(t *testing.T, cc, etag, lastMod string) *validatingOrigin {
	v := &validatingOrigin{}
	v.origin = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("X-Version", itoa64(v.version.Add(1)))
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		if lastMod != "" {
			w.Header().Set("Last-Modified", lastMod)
		}
		inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		if inm != "" || ims != "" {
			v.conditional.Add(1)
		}
		if (inm != "" && inm == etag) || (inm == "" && ims != "" && ims == lastMod) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, bigPage)
	})
	return v
}

func TestRevalidation(t *testing.T) {
	const lm = "Mon, 01 Dec 2025 10:00:00 GMT"
	tests := []struct {
		name, cc, etag, lastMod string
		advance                 time.Duration
		wantStatus              string // Cache-Status of the revalidating request
		background              bool   // refreshed behind a stale-while-revalidate hit
		freshAfter              bool   // the next request is a hit
	}{
		{"etag", "public, max-age=10", `"a1"`, "", 20 * time.Second, "agora; fwd=stale; fwd-status=304; stored", false, true},
		{"last-modified", "public, max-age=10", "", lm, 20 * time.Second, "agora; fwd=stale; fwd-status=304; stored", false, true},
		{"stale-while-revalidate", "public, max-age=10, stale-while-revalidate=60", `"a1"`, "", 20 * time.Second, "agora; hit; ttl=-10; detail=stale-while-revalidate", true, true},
		{"max-age=0 stored and revalidated", "public, max-age=0", `"a1"`, "", 0, "agora; fwd=stale; fwd-status=304; stored", false, false},
		{"no-cache stored and revalidated", "public, no-cache", `"a1"`, "", time.Second, "agora; fwd=stale; fwd-status=304; stored", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newValidatingOrigin(t, tt.cc, tt.etag, tt.lastMod)
			e, clk := newEdge(t, o.URL)
			gz := http.Header{"Accept-Encoding": {"gzip"}}
			do(e, "GET", "http://shop.test/p", gz)
			clk.Advance(tt.advance)
			resp := do(e, "GET", "http://shop.test/p", gz)
			if got := resp.Header.Get("Cache-Status"); got != tt.wantStatus {
				t.Errorf("Cache-Status %q, want %q", got, tt.wantStatus)
			}
			if got := decode(t, resp.Header.Get("Content-Encoding"), body(t, resp)); resp.StatusCode != 200 || got != bigPage {
				t.Errorf("status %d, body of %d bytes", resp.StatusCode, len(got))
			}
			if !tt.background && resp.Header.Get("X-Version") != "2" {
				t.Errorf("X-Version %q: the 304's fields did not replace the stored ones", resp.Header.Get("X-Version"))
			}
			e.Wait()
			if n, c := o.hits.Load(), o.conditional.Load(); n != 2 || c != 1 {
				t.Errorf("origin hits %d conditional %d, want 2 and 1", n, c)
			}
			next, want := do(e, "GET", "http://shop.test/p", nil), "2"
			if !tt.freshAfter {
				want = "3" // revalidated again, with the origin's next fields
			}
			if body(t, next) != bigPage || next.Header.Get("X-Version") != want || isHit(next) != tt.freshAfter {
				t.Errorf("after revalidation: X-Version %q Cache-Status %q", next.Header.Get("X-Version"), next.Header.Get("Cache-Status"))
			}
			if c := e.Status().Compressions; c != 1 {
				t.Errorf("compressions %d, want 1: a 304 keeps the coded body", c)
			}
		})
	}
}

func TestClientConditional(t *testing.T) {
	const lm = "Mon, 01 Dec 2025 10:00:00 GMT"
	tests := []struct {
		name   string
		req    http.Header
		status int
	}{
		{"etag matches", http.Header{"If-None-Match": {`"a1"`}}, 304},
		{"weak etag matches", http.Header{"If-None-Match": {`"zz", W/"a1"`}}, 304},
		{"gzip variant etag matches", http.Header{"If-None-Match": {`W/"a1"`}, "Accept-Encoding": {"gzip"}}, 304},
		{"star", http.Header{"If-None-Match": {"*"}}, 304},
		{"etag differs", http.Header{"If-None-Match": {`"b2"`}}, 200},
		{"if-modified-since", http.Header{"If-Modified-Since": {lm}}, 304},
		{"modified since", http.Header{"If-Modified-Since": {"Mon, 01 Dec 2025 09:00:00 GMT"}}, 200},
		{"if-none-match wins", http.Header{"If-None-Match": {`"b2"`}, "If-Modified-Since": {lm}}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newValidatingOrigin(t, "public, max-age=60", `"a1"`, lm)
			e, _ := newEdge(t, o.URL)
			// The first, conditional, request is stored whole: the edge
			// does not forward the client's validators, and answers them.
			first := do(e, "GET", "http://shop.test/p", tt.req)
			resp := do(e, "GET", "http://shop.test/p", tt.req)
			for i, r := range []*http.Response{first, resp} {
				if r.StatusCode != tt.status {
					t.Errorf("request %d: status %d, want %d", i, r.StatusCode, tt.status)
				}
				b := body(t, r)
				if tt.status == 304 && (b != "" || r.Header.Get("Content-Length") != "" || r.Header.Get("ETag") == "") {
					t.Errorf("request %d: 304 with body %q, fields %v", i, b, r.Header)
				}
			}
			if !isHit(resp) {
				t.Errorf("second request not a hit: %s", resp.Header.Get("Cache-Status"))
			}
			if n, c := o.hits.Load(), o.conditional.Load(); n != 1 || c != 0 {
				t.Errorf("origin hits %d conditional %d, want 1 and 0", n, c)
			}
		})
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
