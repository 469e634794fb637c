package edge

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"agora/internal/edge/purgelog"
)

// TestBackgroundFetchesBounded: a soft purge of a tag on many hot pages
// must not fire one origin fetch per page at once (issue 10). Every page
// is still answered at once, stale; at most MaxBackgroundFetches refreshes
// reach the origin together; the others are skipped and counted, and a
// later request refreshes a skipped page.
func TestBackgroundFetchesBounded(t *testing.T) {
	const pages, bound = 200, 8
	var holding atomic.Bool // from the purge on, the origin holds each fetch until release
	var inFlight, peak, held atomic.Int64
	release := make(chan struct{})
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if holding.Load() {
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			held.Add(1)
			<-release
			inFlight.Add(-1)
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Surrogate-Key", "shelf")
		fmt.Fprintf(w, "page %s", r.URL.Path)
	})
	e, _ := newEdge(t, o.URL)
	e.MaxBackgroundFetches = bound
	free := sync.OnceFunc(func() { close(release) })
	t.Cleanup(free) // before e.Wait, registered earlier
	page := func(i int) string { return fmt.Sprintf("http://shop.test/p/%d", i) }
	for i := range pages {
		if resp := do(e, "GET", page(i), nil); resp.StatusCode != 200 {
			t.Fatalf("storing %s: %d", page(i), resp.StatusCode)
		}
	}
	holding.Store(true)
	e.ApplyPurge(purgelog.Entry{Tags: []string{"shelf"}, Soft: true})

	var wg sync.WaitGroup
	var bad atomic.Int64
	for i := range pages {
		wg.Go(func() {
			resp := do(e, "GET", page(i), nil)
			cs := resp.Header.Get("Cache-Status")
			if b := body(t, resp); resp.StatusCode != 200 || b != fmt.Sprintf("page /p/%d", i) || !strings.Contains(cs, "detail=stale-while-revalidate") {
				bad.Add(1)
				t.Errorf("%s: %d %q, Cache-Status %q; want the stale page at once", page(i), resp.StatusCode, b, cs)
			}
		})
	}
	wg.Wait() // every request answered while the refreshes are held at the origin
	st := e.Status()
	if st.RefreshesInFlight != bound || st.RefreshesSkipped != pages-bound {
		t.Errorf("status: %d refreshes in flight, %d skipped; want %d and %d", st.RefreshesInFlight, st.RefreshesSkipped, bound, pages-bound)
	}
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	if got := scrape(t, admin)["agora_edge_refreshes_skipped_total"]; got != pages-bound {
		t.Errorf("agora_edge_refreshes_skipped_total %v, want %d", got, pages-bound)
	}
	free()
	e.Wait()
	if p, n := peak.Load(), held.Load(); p > bound || n != bound {
		t.Errorf("%d origin fetches, at most %d at once; want %d, at most %d", n, p, bound, bound)
	}

	// The refreshed pages are fresh again; a skipped one is still stale,
	// and the next request for it refreshes it.
	holding.Store(false)
	skipped := -1
	for i := range pages {
		resp := do(e, "GET", page(i), nil)
		if strings.Contains(resp.Header.Get("Cache-Status"), "detail=stale-while-revalidate") {
			skipped = i
			break
		}
	}
	if skipped < 0 {
		t.Fatal("no page was left stale: every refresh ran")
	}
	e.Wait()
	if resp := do(e, "GET", page(skipped), nil); resp.Header.Get("Cache-Status") != "agora; hit; ttl=300" {
		t.Errorf("a skipped page after a later request: Cache-Status %q, want a fresh hit", resp.Header.Get("Cache-Status"))
	}
}
