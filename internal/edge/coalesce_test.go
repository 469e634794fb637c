package edge

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// panickingTransport panics on its first round trip, once release is
// closed, and passes the others to the real origin.
type panickingTransport struct {
	once    sync.Once
	entered chan struct{} // closed when the first round trip begins
	release chan struct{}
	next    http.RoundTripper
}

func (p *panickingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	p.once.Do(func() { first = true })
	if first {
		close(p.entered)
		<-p.release
		panic("transport bug")
	}
	return p.next.RoundTrip(r)
}

// TestCoalescePanic: a fetch that panics takes its key out of the flight
// map and hands the failure to its waiters, as singleflight does; later
// requests for the key fetch at once instead of waiting the wait timeout
// behind a flight that will never land.
func TestCoalescePanic(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "page")
	})
	e, _ := newEdge(t, o.URL)
	tr := &panickingTransport{entered: make(chan struct{}), release: make(chan struct{}), next: http.DefaultTransport}
	e.Transport = tr
	e.WaitTimeout = time.Hour // a lost flight would hold the next request that long
	joins := watchJoins(e)

	leader := make(chan any, 1)
	go func() {
		defer func() { leader <- recover() }()
		do(e, "GET", "http://shop.test/p", nil)
	}()
	<-tr.entered // the leader is the one that panics
	const waiters = 5
	results := make(chan int, waiters)
	for range waiters {
		go func() { results <- do(e, "GET", "http://shop.test/p", nil).StatusCode }()
	}
	waitJoined(joins, waiters)
	close(tr.release)
	if p := <-leader; p == nil || !strings.Contains(fmt.Sprint(p), "transport bug") {
		t.Errorf("the leader's panic: %v, want it passed on", p)
	}
	// A bound to fail by, not a synchronization: a lost flight holds its
	// waiters for the hour of WaitTimeout.
	bound := time.NewTimer(10 * time.Second)
	defer bound.Stop()
	for i := range waiters {
		select {
		case s := <-results:
			if s != http.StatusServiceUnavailable {
				t.Errorf("waiter %d: status %d, want 503", i, s)
			}
		case <-bound.C:
			t.Fatal("the waiters still wait on the panicked flight")
		}
	}
	done := make(chan *http.Response, 1)
	go func() { done <- do(e, "GET", "http://shop.test/p", nil) }()
	select {
	case resp := <-done:
		if got := body(t, resp); got != "page" {
			t.Errorf("after the panic: %d %q", resp.StatusCode, got)
		}
	case <-bound.C:
		t.Fatal("the next request waits on the panicked flight")
	}
}
