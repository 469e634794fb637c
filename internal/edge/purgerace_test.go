package edge

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/edge/purgelog"
)

// dataOrigin renders a tagged page from its data, as the app does: the
// page is made from the data read when the request arrived. While held,
// a fetch reads the data, reports it on read, and answers only once
// released, so a test can change the data and purge in between.
type dataOrigin struct {
	*origin
	mu      sync.Mutex // protects data, read, release
	data    string
	read    chan string   // non-nil while held: the next fetch sends what it read
	release chan struct{} // closed to let the held fetch answer
}

func newDataOrigin(t *testing.T, cc string, extra http.Header) *dataOrigin {
	d := &dataOrigin{data: "v1"}
	d.origin = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		data, read, release := d.data, d.read, d.release
		d.read, d.release = nil, nil // hold one fetch only
		d.mu.Unlock()
		if read != nil {
			read <- data
			<-release
		}
		h := w.Header()
		h.Set("Cache-Control", cc)
		h.Set("Surrogate-Key", "product-42 home")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("ETag", `"`+data+`"`)
		for k, v := range extra {
			h[k] = v
		}
		if inm := r.Header.Get("If-None-Match"); inm == `"`+data+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, data+bigPage)
	})
	return d
}

// hold makes the next fetch wait: it returns the channel on which that
// fetch reports the data it read, and the function that lets it answer.
func (d *dataOrigin) hold() (<-chan string, func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	read, release := make(chan string), make(chan struct{})
	d.read, d.release = read, release
	return read, sync.OnceFunc(func() { close(release) })
}

func (d *dataOrigin) set(data string) {
	d.mu.Lock()
	d.data = data
	d.mu.Unlock()
}

// version is the data a page was rendered from.
func version(t *testing.T, resp *http.Response) string {
	t.Helper()
	v, _, _ := strings.Cut(body(t, resp), "<")
	return v
}

// TestPurgeDuringFetch: a purge applied while a fetch is in flight covers
// what that fetch brings back, since its page was rendered from the data
// before the change (issue 9, item 5). The fetched page still answers the
// request that caused it (it began before the purge), but it is never
// served as fresh afterwards: not stored after a hard purge, stored
// already stale after a soft one.
func TestPurgeDuringFetch(t *testing.T) {
	purges := []struct {
		name  string
		purge func(e *Edge)
		soft  bool
	}{
		{"tag", func(e *Edge) { e.ApplyPurge(purgelog.Entry{Tags: []string{"product-42"}}) }, false},
		{"soft tag", func(e *Edge) { e.ApplyPurge(purgelog.Entry{Tags: []string{"product-42"}, Soft: true}) }, true},
		{"url", func(e *Edge) { e.ApplyPurge(purgelog.Entry{Tags: []string{urlTagPrefix + "http://shop.test/p"}}) }, false},
		{"all", func(e *Edge) { e.ApplyPurge(purgelog.Entry{Tags: []string{allTag}}) }, false},
		{"unsafe method", func(e *Edge) { do(e, "POST", "http://shop.test/p", nil) }, false},
	}
	fetches := []struct {
		name  string
		cc    string
		extra http.Header
		// prime stores v1 and ages it, so that the held request is the
		// one that fetches; it returns what that request must be served.
		prime func(t *testing.T, e *Edge, o *dataOrigin, advance func(time.Duration))
		// background: the held fetch is a refresh after the response.
		background bool
	}{
		{name: "miss", cc: "public, max-age=300"},
		{name: "miss of a varying page", cc: "public, max-age=300", extra: http.Header{"Vary": {"Accept-Language"}}},
		{
			name: "revalidation answered 304", cc: "public, max-age=300",
			prime: func(t *testing.T, e *Edge, o *dataOrigin, advance func(time.Duration)) {
				do(e, "GET", "http://shop.test/p", nil)
				advance(10 * time.Minute)
			},
		},
		{
			name: "stale-while-revalidate refresh", cc: "public, max-age=300, stale-while-revalidate=600",
			prime: func(t *testing.T, e *Edge, o *dataOrigin, advance func(time.Duration)) {
				do(e, "GET", "http://shop.test/p", nil)
				o.set("v2")
				advance(6 * time.Minute)
			},
			background: true,
		},
	}
	for _, f := range fetches {
		for _, p := range purges {
			t.Run(f.name+"/"+p.name, func(t *testing.T) {
				o := newDataOrigin(t, f.cc, f.extra)
				e, clk := newEdge(t, o.URL)
				if f.prime != nil {
					f.prime(t, e, o, clk.Advance)
				}
				read, release := o.hold()
				defer release()
				done := make(chan *http.Response, 1)
				go func() { done <- do(e, "GET", "http://shop.test/p", nil) }()
				if f.background {
					body(t, <-done) // served stale at once; the refresh is held
				}
				old := <-read
				o.set("v9") // the data changes, then the purge for it comes
				p.purge(e)
				release()
				if !f.background {
					if got := version(t, <-done); got != old {
						t.Errorf("the request in flight got %q, want %q: it began before the purge", got, old)
					}
				}
				e.Wait()
				next := do(e, "GET", "http://shop.test/p", nil)
				cs := next.Header.Get("Cache-Status")
				got := version(t, next)
				switch {
				case got == old && isHit(next) && !strings.Contains(cs, "stale"):
					t.Fatalf("the page fetched before the purge is served fresh after it: %q %q", got, cs)
				case !p.soft && got != "v9":
					t.Errorf("after a hard purge got %q (%s), want v9", got, cs)
				case p.soft && got == old && !strings.Contains(cs, "detail=stale-while-revalidate"):
					t.Errorf("after a soft purge got %q with %q, want it stale-while-revalidate", got, cs)
				}
				if e.Status().PurgedInFlight == 0 {
					t.Error("purged_in_flight 0: the operator does not see the race")
				}
				e.Wait() // a soft purge's refresh brings the new page
				if last := do(e, "GET", "http://shop.test/p", nil); version(t, last) != "v9" || !isHit(last) {
					t.Errorf("then %q %q, want a hit of v9", version(t, last), last.Header.Get("Cache-Status"))
				}
			})
		}
	}
}

// TestPurgeDuringFlight: a request that joins a flight after a hard purge
// of its page is not handed the page fetched before the purge.
func TestPurgeDuringFlight(t *testing.T) {
	o := newDataOrigin(t, "public, max-age=300", nil)
	e, _ := newEdge(t, o.URL)
	joins := watchJoins(e)
	read, release := o.hold()
	defer release()
	leader := make(chan *http.Response, 1)
	go func() { leader <- do(e, "GET", "http://shop.test/p", nil) }()
	old := <-read
	o.set("v9")
	e.ApplyPurge(purgelog.Entry{Tags: []string{"home"}})
	waiter := make(chan *http.Response, 1)
	go func() { waiter <- do(e, "GET", "http://shop.test/p", nil) }()
	waitJoined(joins, 1)
	release()
	if got := version(t, <-leader); got != old {
		t.Errorf("leader got %q, want %q", got, old)
	}
	if got := version(t, <-waiter); got != "v9" {
		t.Errorf("the request that came after the purge got %q, want v9", got)
	}
}
