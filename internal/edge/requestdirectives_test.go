package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agora/internal/edge/cache"
)

// TestRequestCannotEvict: what one client sends decides what it gets,
// never what is stored for the others (RFC 9111 §5.2.1.5 for no-store;
// issue 9, item 6). After each request below, the stored page still
// answers the next plain GET as before, and its key is not taken for
// uncacheable.
func TestRequestCannotEvict(t *testing.T) {
	tests := []struct {
		name   string
		cc     string        // the page's Cache-Control
		etag   bool          // the page has a validator
		age    time.Duration // how old the stored page is when the request comes
		method string
		hdr    http.Header
		// want is the Cache-Status prefix of the next plain GET.
		want string
		// setCookie: the origin answered with a visitor's cookie, which
		// does take the key for uncacheable (not coalesced, for a while).
		setCookie bool
	}{
		{"no-store, fresh page with a validator", "public, max-age=60", true, 0, "GET", http.Header{"Cache-Control": {"no-store"}}, "agora; hit", false},
		{"no-store, fresh page", "public, max-age=60", false, 0, "GET", http.Header{"Cache-Control": {"no-store"}}, "agora; hit", false},
		{"no-store, stale page", "public, max-age=60", true, time.Minute, "GET", http.Header{"Cache-Control": {"no-store"}}, "agora; fwd=stale; fwd-status=304", false},
		{"no-store, not stored", "public, max-age=60", true, -1, "GET", http.Header{"Cache-Control": {"no-store"}}, "agora; fwd=uri-miss; stored", false},
		{"HEAD, stale page", "public, max-age=60", true, time.Minute, "HEAD", nil, "agora; fwd=stale; fwd-status=304", false},
		{"HEAD, not stored", "public, max-age=60", true, -1, "HEAD", nil, "agora; fwd=uri-miss; stored", false},
		{"Range, not stored", "public, max-age=60", true, -1, "GET", http.Header{"Range": {"bytes=0-9"}}, "agora; fwd=uri-miss; stored", false},
		{"Range, stale-while-revalidate", "public, max-age=60, stale-while-revalidate=60", false, 90 * time.Second, "GET", http.Header{"Range": {"bytes=0-9"}}, "agora; hit; ttl=60", false},
		{"cookie that gets a Set-Cookie, stale page", "public, max-age=60", true, time.Minute, "GET", http.Header{"Cookie": {"sid=1"}}, "agora; fwd=stale; fwd-status=304", true},
		{"no-cache, fresh page", "public, max-age=60", true, 0, "GET", http.Header{"Cache-Control": {"no-cache"}}, "agora; hit", false},
		{"Pragma no-cache, fresh page", "public, max-age=60", true, 0, "GET", http.Header{"Pragma": {"no-cache"}}, "agora; hit", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", tt.cc)
				w.Header().Set("Content-Type", "text/html")
				if tt.etag {
					w.Header().Set("ETag", `"v1"`)
				}
				if _, err := r.Cookie("sid"); err == nil {
					w.Header().Set("Set-Cookie", "sid=2") // the visitor's, never stored
				}
				// Answers conditionals with 304 and Range with 206.
				http.ServeContent(w, r, "", time.Time{}, strings.NewReader(bigPage))
			})
			e, clk := newEdge(t, o.URL)
			if tt.age >= 0 {
				do(e, "GET", "http://shop.test/p", nil)
				clk.Advance(tt.age)
			}
			resp := do(e, tt.method, "http://shop.test/p", tt.hdr)
			if resp.StatusCode >= 400 {
				t.Fatalf("the request itself: %d", resp.StatusCode)
			}
			e.Wait()
			if key := cache.Key(httptest.NewRequest("GET", "http://shop.test/p", nil), nil); e.isUncacheable(key) && !tt.setCookie {
				t.Error("the key is taken for uncacheable")
			}
			next := do(e, "GET", "http://shop.test/p", nil)
			if cs := next.Header.Get("Cache-Status"); !strings.HasPrefix(cs, tt.want) {
				t.Errorf("next GET: Cache-Status %q, want %q…", cs, tt.want)
			}
			if got := body(t, next); got != bigPage {
				t.Errorf("next GET: %d bytes", len(got))
			}
		})
	}
}

// TestUnkeyedInputsNotForwarded: the origin renders a stored page from
// exactly what its key holds, so no request can store under one key a page
// made from inputs the key leaves out: fields its Connection header names
// (a proxy removes them, RFC 9110 §7.6.1) and tracking parameters (left out
// of the key so campaign links share a page).
func TestUnkeyedInputsNotForwarded(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Vary", "Accept-Language")
		io.WriteString(w, "lang="+r.Header.Get("Accept-Language")+" query="+r.URL.RawQuery)
	})
	tests := []struct {
		name     string
		attack   string
		attackH  http.Header
		victim   string
		victimH  http.Header
		wantBody string
	}{
		{"field named by Connection", "/p", http.Header{"Accept-Language": {"fr"}, "Connection": {"Accept-Language"}},
			"/p", http.Header{"Accept-Language": {"fr"}}, "lang=fr query="},
		{"tracking parameter", "/p?a=1&utm_source=<script>", nil,
			"/p?a=1", nil, "lang= query=a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEdge(t, o.URL)
			body(t, do(e, "GET", "http://shop.test"+tt.attack, tt.attackH))
			if got := body(t, do(e, "GET", "http://shop.test"+tt.victim, tt.victimH)); got != tt.wantBody {
				t.Errorf("the next visitor got %q, want %q", got, tt.wantBody)
			}
		})
	}
}
