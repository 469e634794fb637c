package edge

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/edge/cache"
)

// origin is a real HTTP server that counts its hits.
type origin struct {
	*httptest.Server
	hits atomic.Int64
}

func newOrigin(t testing.TB, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func newEdge(t testing.TB, backends ...string) (*Edge, *clocktest.Clock) {
	t.Helper()
	st, err := cache.NewStore(cache.Config{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e := &Edge{Store: st, Now: clk.Now, Log: slog.New(slog.DiscardHandler)}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		e.Backends = append(e.Backends, u)
	}
	t.Cleanup(e.Wait)
	return e, clk
}

// do serves one request through e, in process, and returns the response.
func do(e *Edge, method, target string, hdr http.Header) *http.Response {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func isHit(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Cache-Status"), "agora; hit")
}

func TestStorability(t *testing.T) {
	tests := []struct {
		name   string
		req    http.Header
		resp   http.Header
		stored bool
	}{
		{"public max-age", nil, http.Header{"Cache-Control": {"public, max-age=60"}}, true},
		{"set-cookie", nil, http.Header{"Cache-Control": {"public, max-age=60"}, "Set-Cookie": {"sid=1"}}, false},
		{"private", nil, http.Header{"Cache-Control": {"private, max-age=60"}}, false},
		{"no-store", nil, http.Header{"Cache-Control": {"no-store"}}, false},
		{"authorization", http.Header{"Authorization": {"Bearer x"}}, http.Header{"Cache-Control": {"public, max-age=60"}}, false},
		{"request cookie on public page", http.Header{"Cookie": {"sid=1"}}, http.Header{"Cache-Control": {"public, max-age=60"}}, true},
		{"s-maxage beats max-age=0", nil, http.Header{"Cache-Control": {"max-age=0, s-maxage=60"}}, true},
		{"s-maxage=0 beats max-age", nil, http.Header{"Cache-Control": {"max-age=60, s-maxage=0"}}, false},
		{"no freshness", nil, http.Header{}, false},
		// RFC 9213 §2.1: the targeted field replaces Cache-Control for this cache.
		{"CDN-Cache-Control wins over no-store", nil, http.Header{"Cache-Control": {"no-store"}, "Cdn-Cache-Control": {"max-age=60"}}, true},
		{"CDN-Cache-Control lifetime wins", nil, http.Header{"Cache-Control": {"max-age=0"}, "Cdn-Cache-Control": {"max-age=60"}}, true},
		{"CDN-Cache-Control no-store wins", nil, http.Header{"Cache-Control": {"public, max-age=60"}, "Cdn-Cache-Control": {"no-store"}}, false},
		{"vary star", nil, http.Header{"Cache-Control": {"public, max-age=60"}, "Vary": {"*"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.resp {
					w.Header()[k] = v
				}
				io.WriteString(w, "page")
			})
			e, _ := newEdge(t, o.URL)
			first := do(e, "GET", "http://shop.test/p", tt.req)
			second := do(e, "GET", "http://shop.test/p", tt.req)
			if got := body(t, second); first.StatusCode != 200 || got != "page" {
				t.Fatalf("status %d body %q", first.StatusCode, got)
			}
			if isHit(second) != tt.stored || (o.hits.Load() == 1) != tt.stored {
				t.Errorf("stored = %v (origin hits %d, Cache-Status %q), want %v", isHit(second), o.hits.Load(), second.Header.Get("Cache-Status"), tt.stored)
			}
			if tt.stored && second.Header.Get("Age") == "" {
				t.Error("hit without Age")
			}
			if second.Header.Get("Set-Cookie") != "" && tt.resp.Get("Set-Cookie") == "" {
				t.Error("Set-Cookie replayed")
			}
		})
	}
}
