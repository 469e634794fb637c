package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/clientaddr"
	"agora/internal/edge/ratelimit"
)

// TestRateLimitCountsWhatReachesTheApp: with a pages limit of one request
// a client may take any number of plain hits (the fast path counts
// nothing), while its second request that must go to the app gets 429
// with Retry-After and never reaches it. Clients behind a trusted proxy
// count by the address it forwards, each on its own.
func TestRateLimitCountsWhatReachesTheApp(t *testing.T) {
	t.Parallel()
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, s-maxage=300")
		w.Write([]byte("page " + r.URL.Path))
	})
	e, _ := newEdge(t, o.URL)
	e.RateLimit = &ratelimit.Limiter{Rules: map[ratelimit.Class]ratelimit.Rule{ratelimit.Pages: {Rate: 0.001, Burst: 1}}}
	e.TrustedProxies = clientaddr.MustParse("10.0.0.1")
	addr, fast := serveH1(t, e, true)

	get := func(path string) *http.Response {
		resp, _ := rawGet(t, addr, "GET "+path+" HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n")
		return resp
	}
	if resp := get("/p/1"); resp.StatusCode != 200 {
		t.Fatalf("first page: %d", resp.StatusCode)
	}
	for range 20 {
		if resp := get("/p/1"); resp.StatusCode != 200 {
			t.Fatalf("a hit past the pages limit: %d", resp.StatusCode)
		}
	}
	if fast.Load() != 20 {
		t.Fatalf("%d hits from the fast path, want 20", fast.Load())
	}
	before := o.hits.Load()
	resp := get("/p/2")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || o.hits.Load() != before {
		t.Fatalf("a miss past the limit: %d Retry-After %q, origin asked %d times", resp.StatusCode, resp.Header.Get("Retry-After"), o.hits.Load()-before)
	}

	// Behind the trusted proxy each forwarded client has its own bucket;
	// from anyone else the claim is ignored.
	for _, tc := range []struct {
		peer, xff string
		want      int
	}{
		{"10.0.0.1:5000", "203.0.113.1", 200},
		{"10.0.0.1:5001", "203.0.113.2", 200},
		{"10.0.0.1:5002", "203.0.113.1", 429},
		{"198.51.100.9:5000", "203.0.113.3", 200},
		{"198.51.100.9:5001", "203.0.113.4", 429},
	} {
		r, _ := http.NewRequest("GET", "http://shop.test/p/"+strings.ReplaceAll(tc.xff, ".", "-"), nil)
		r.RemoteAddr = tc.peer
		r.Header.Set("X-Forwarded-For", tc.xff)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("peer %s claiming %s: %d, want %d", tc.peer, tc.xff, w.Code, tc.want)
		}
	}
	if got := e.RateLimit.Refused(ratelimit.Pages); got != 3 {
		t.Errorf("%d refusals counted, want 3", got)
	}
}
