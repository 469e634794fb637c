package edge

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTagHeadersStripped(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Surrogate-Key", "product-42 home")
		w.Header().Set("Surrogate-Control", "max-age=600")
		io.WriteString(w, "page")
	})
	e, _ := newEdge(t, o.URL)
	for i, want := range []string{"agora; fwd=uri-miss; stored", "agora; hit; ttl=600"} {
		resp := do(e, "GET", "http://shop.test/p", nil)
		if resp.Header.Get("Surrogate-Key") != "" || resp.Header.Get("Surrogate-Control") != "" {
			t.Errorf("request %d: tag headers leaked: %v", i, resp.Header)
		}
		if got := resp.Header.Get("Cache-Status"); got != want {
			t.Errorf("request %d: Cache-Status %q, want %q", i, got, want)
		}
	}
}

func TestInternalRefused(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	e, _ := newEdge(t, o.URL)
	for _, p := range []string{"/_internal/purges", "/_internal", "/_internal/healthz?x=1"} {
		if resp := do(e, "GET", "http://shop.test"+p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
		}
	}
	if o.hits.Load() != 0 {
		t.Error("internal path forwarded")
	}
}

func TestUnsafeMethodInvalidates(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Vary", "Accept-Encoding")
		io.WriteString(w, r.Method)
	})
	e, _ := newEdge(t, o.URL)
	gz := http.Header{"Accept-Encoding": {"gzip"}}
	do(e, "GET", "http://shop.test/cart", gz)
	do(e, "GET", "http://shop.test/cart", nil)
	if resp := do(e, "POST", "http://shop.test/cart", nil); body(t, resp) != "POST" || resp.Header.Get("Cache-Status") != "agora; fwd=method" {
		t.Fatalf("POST not passed through: %v", resp.Header)
	}
	// One stored object serves every coding, so one GET refills it.
	if resp := do(e, "GET", "http://shop.test/cart", gz); isHit(resp) {
		t.Error("stale entry survived POST")
	}
	if resp := do(e, "GET", "http://shop.test/cart", nil); !isHit(resp) {
		t.Errorf("refilled entry not shared across codings: %s", resp.Header.Get("Cache-Status"))
	}
	if n := o.hits.Load(); n != 3 {
		t.Errorf("origin hits %d, want 3", n)
	}
}

// watchJoins reports each request that joins a flight on e, so a test
// waits for its waiters on a channel; call it before starting them.
func watchJoins(e *Edge) <-chan struct{} {
	joins := make(chan struct{}, 10000)
	e.joined = func() { joins <- struct{}{} }
	return joins
}

// waitJoined blocks until n requests have joined.
func waitJoined(joins <-chan struct{}, n int) {
	for range n {
		<-joins
	}
}

func TestCoalescing(t *testing.T) {
	const n = 1000
	release := make(chan struct{})
	var e *Edge
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "cold page")
	})
	e, _ = newEdge(t, o.URL)
	joins := watchJoins(e)
	var wg sync.WaitGroup
	bodies := make([]string, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp := do(e, "GET", "http://shop.test/cold", nil)
			statuses[i], bodies[i] = resp.StatusCode, body(t, resp)
		})
	}
	// Every request but the leader's joins the flight; only then may the
	// origin answer.
	waitJoined(joins, n-1)
	close(release)
	wg.Wait()
	if h := o.hits.Load(); h != 1 {
		t.Errorf("origin fetches %d, want 1", h)
	}
	for i := range n {
		if statuses[i] != 200 || bodies[i] != "cold page" {
			t.Fatalf("request %d: %d %q", i, statuses[i], bodies[i])
		}
	}
}

func TestUnstorableNotShared(t *testing.T) {
	release := make(chan struct{})
	var e *Edge
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Set-Cookie", "sid="+r.Header.Get("X-N"))
		io.WriteString(w, r.Header.Get("X-N"))
	})
	e, _ = newEdge(t, o.URL)
	joins := watchJoins(e)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := string(rune('a' + i))
			resp := do(e, "GET", "http://shop.test/account", http.Header{"X-N": {id}})
			if got := body(t, resp); got != id || resp.Header.Get("Set-Cookie") != "sid="+id {
				t.Errorf("request %s got %q, cookie %q", id, got, resp.Header.Get("Set-Cookie"))
			}
		})
	}
	waitJoined(joins, n-1)
	close(release)
	wg.Wait()
	// Remembered as uncacheable: the next request is not coalesced.
	do(e, "GET", "http://shop.test/account", http.Header{"X-N": {"z"}})
	if c := e.Status().Coalesced; c != n-1 {
		t.Errorf("coalesced %d after the key was known uncacheable", c)
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	const n = 500
	release, refreshing := make(chan struct{}), make(chan struct{})
	var version int
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=10, stale-while-revalidate=60")
		version++ // serialized: the second request blocks until the first ended
		if version == 2 {
			close(refreshing)
			<-release
		}
		io.WriteString(w, "v"+string(rune('0'+version)))
	})
	e, clk := newEdge(t, o.URL)
	do(e, "GET", "http://shop.test/p", nil)
	clk.Advance(20 * time.Second)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp := do(e, "GET", "http://shop.test/p", nil)
			if got, cs := body(t, resp), resp.Header.Get("Cache-Status"); got != "v1" || cs != "agora; hit; ttl=-10; detail=stale-while-revalidate" {
				t.Errorf("got %q %q", got, cs)
			}
		})
	}
	wg.Wait()
	<-refreshing
	close(release)
	e.Wait()
	if h := o.hits.Load(); h != 2 {
		t.Errorf("origin hits %d, want 2 (one background refresh)", h)
	}
	if resp := do(e, "GET", "http://shop.test/p", nil); body(t, resp) != "v2" || !isHit(resp) {
		t.Errorf("after refresh: %q %s", body(t, resp), resp.Header.Get("Cache-Status"))
	}
}

func TestStaleIfError(t *testing.T) {
	tests := []struct {
		name   string
		fail   func(o *origin, failing *bool)
		status string
	}{
		{"origin closed", func(o *origin, _ *bool) { o.Close() }, ""},
		{"origin 502", func(_ *origin, failing *bool) { *failing = true }, "; fwd-status=502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			failing := false
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if failing {
					w.WriteHeader(502)
					return
				}
				w.Header().Set("Cache-Control", "public, max-age=1, stale-if-error=600")
				io.WriteString(w, "old page")
			})
			e, clk := newEdge(t, o.URL)
			do(e, "GET", "http://shop.test/p", nil)
			mu.Lock()
			tt.fail(o, &failing)
			mu.Unlock()
			clk.Advance(time.Minute)
			resp := do(e, "GET", "http://shop.test/p", nil)
			want := "agora; fwd=stale" + tt.status + "; detail=stale-if-error"
			if got := body(t, resp); resp.StatusCode != 200 || got != "old page" || resp.Header.Get("Cache-Status") != want {
				t.Errorf("got %d %q %q, want stale with %q", resp.StatusCode, got, resp.Header.Get("Cache-Status"), want)
			}
			// Past stale-if-error the failure shows.
			clk.Advance(time.Hour)
			if resp := do(e, "GET", "http://shop.test/p", nil); resp.StatusCode < 500 {
				t.Errorf("past stale-if-error: %d", resp.StatusCode)
			}
		})
	}
}

func TestUnavailablePage(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	o.Close()
	o2 := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	o2.Close()
	e, _ := newEdge(t, o.URL, o2.URL)
	for _, m := range []string{"GET", "POST"} {
		resp := do(e, m, "http://shop.test/new", nil)
		b := body(t, resp)
		if resp.StatusCode != 503 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(b, "<h1>") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v %q", m, resp.StatusCode, resp.Header, b)
		}
	}
}

// TestRequestDirectives: a request's own Cache-Control (RFC 9111 §5.2.1)
// decides whether a stored response may answer it. The page is stored with
// s-maxage=100 and is 50 s old when each request comes.
func TestRequestDirectives(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		cc          string
		status      int
		fetched     bool   // the request went to the origin
		cacheStatus string // prefix of Cache-Status
	}{
		{"none", "/p", "", 200, false, "agora; hit"},
		{"max-age above the age", "/p", "max-age=60", 200, false, "agora; hit"},
		{"max-age below the age", "/p", "max-age=30", 200, true, "agora; fwd=request"},
		{"max-age=0", "/p", "max-age=0", 200, true, "agora; fwd=request"},
		{"min-fresh within the freshness left", "/p", "min-fresh=40", 200, false, "agora; hit"},
		{"min-fresh beyond it", "/p", "min-fresh=60", 200, true, "agora; fwd=request"},
		{"no-cache", "/p", "no-cache", 200, true, "agora; fwd=request"},
		{"only-if-cached, stored", "/p", "only-if-cached", 200, false, "agora; hit"},
		{"only-if-cached, not stored", "/q", "only-if-cached", 504, false, "agora; detail=only-if-cached"},
		{"only-if-cached with max-age below the age", "/p", "only-if-cached, max-age=10", 504, false, "agora; detail=only-if-cached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, s-maxage=100")
				io.WriteString(w, "page")
			})
			e, clk := newEdge(t, o.URL)
			do(e, "GET", "http://shop.test/p", nil)
			clk.Advance(50 * time.Second)
			var h http.Header
			if tt.cc != "" {
				h = http.Header{"Cache-Control": {tt.cc}}
			}
			resp := do(e, "GET", "http://shop.test"+tt.path, h)
			body(t, resp)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := o.hits.Load() > 1; got != tt.fetched {
				t.Errorf("went to the origin: %v, want %v", got, tt.fetched)
			}
			if cs := resp.Header.Get("Cache-Status"); !strings.HasPrefix(cs, tt.cacheStatus) {
				t.Errorf("Cache-Status %q, want %q…", cs, tt.cacheStatus)
			}
		})
	}
}
