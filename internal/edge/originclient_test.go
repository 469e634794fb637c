package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/edge/h1"
)

// TestOriginClient: the edge reaches its backends with h1.Client unless
// told otherwise, and the same pages come back either way: a pass-through
// POST with a body, an uncacheable GET, a cached one.
func TestOriginClient(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/cached" {
			w.Header().Set("Cache-Control", "max-age=60")
		} else {
			w.Header().Set("Cache-Control", "no-store")
		}
		w.Write([]byte(r.Method + " " + r.URL.Path + " " + string(body)))
	})
	for _, tc := range []struct {
		client string
		want   func(http.RoundTripper) bool
	}{
		{"", func(rt http.RoundTripper) bool { _, ok := rt.(*h1.Client); return ok }},
		{"std", func(rt http.RoundTripper) bool { _, ok := rt.(*http.Transport); return ok }},
	} {
		e, _ := newEdge(t, o.URL)
		e.OriginClient = tc.client
		e.init()
		if !tc.want(e.Transport) {
			t.Fatalf("OriginClient %q: Transport is %T", tc.client, e.Transport)
		}
		for range 2 {
			for _, req := range []struct{ method, path, body, want string }{
				{"POST", "/api/v1/cart", "qty=1", "POST /api/v1/cart qty=1"},
				{"GET", "/nostore", "", "GET /nostore "},
				{"GET", "/cached", "", "GET /cached "},
			} {
				var body io.Reader
				if req.body != "" {
					body = strings.NewReader(req.body)
				}
				w := httptest.NewRecorder()
				e.ServeHTTP(w, httptest.NewRequest(req.method, "http://shop.example"+req.path, body))
				if w.Code != 200 || w.Body.String() != req.want {
					t.Errorf("OriginClient %q, %s %s: %d %q, want 200 %q", tc.client, req.method, req.path, w.Code, w.Body.String(), req.want)
				}
			}
		}
	}
}
