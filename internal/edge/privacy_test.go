package edge

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPrivacy sends a random mix of anonymous, cookie-carrying and
// authenticated requests, over loopback to the edge's own server with its
// fast hit path, to an origin that answers at random with Set-Cookie,
// private, no-store or public pages: no personal response may ever reach
// another request, and none is ever stored.
func TestPrivacy(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Id")
		n, _ := strconv.Atoi(id)
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		switch rng.IntN(5) {
		case 0:
			w.Header().Set("Cache-Control", "public, max-age=60")
			w.Header().Set("Set-Cookie", "sid="+id)
			io.WriteString(w, "personal "+id)
		case 1:
			w.Header().Set("Cache-Control", "private, max-age=60")
			io.WriteString(w, "personal "+id)
		case 2:
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, "personal "+id)
		case 3:
			if r.Header.Get("Authorization") != "" {
				// Public, but for an authenticated request.
				w.Header().Set("Cache-Control", "public, s-maxage=60")
				io.WriteString(w, "personal "+id)
				return
			}
			fallthrough
		default:
			w.Header().Set("Cache-Control", "public, max-age=60")
			io.WriteString(w, "public "+r.URL.Path)
		}
	})
	e, clk := newEdge(t, o.URL)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10_000
	type req struct {
		path   string
		header http.Header
	}
	reqs := make([]req, n)
	for i := range reqs {
		h := http.Header{"X-Id": {strconv.Itoa(i)}}
		switch rng.IntN(3) {
		case 1:
			h.Set("Cookie", "sid=c"+strconv.Itoa(i))
		case 2:
			h.Set("Authorization", "Bearer t"+strconv.Itoa(i))
		}
		if rng.IntN(2) == 0 {
			h.Set("Accept-Encoding", "gzip, br")
		}
		reqs[i] = req{fmt.Sprintf("/p/%d", rng.IntN(30)), h}
	}
	addr, fast := serveH1(t, e, true)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8}}
	t.Cleanup(client.CloseIdleConnections)
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range 8 {
		wg.Go(func() {
			for {
				next.Lock()
				k := i
				i++
				if k%200 == 0 {
					clk.Advance(61 * time.Second) // let entries expire now and then
				}
				next.Unlock()
				if k >= n {
					return
				}
				r, err := http.NewRequest("GET", "http://"+addr+reqs[k].path, nil)
				if err != nil {
					t.Error(err)
					return
				}
				r.Host = "shop.test"
				maps.Copy(r.Header, reqs[k].header)
				resp, err := client.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				b := body(t, resp)
				b = decode(t, resp.Header.Get("Content-Encoding"), b)
				id := strconv.Itoa(k)
				if strings.HasPrefix(b, "personal ") && b != "personal "+id {
					t.Errorf("request %d got another's page %q (%s)", k, b, resp.Header.Get("Cache-Status"))
				}
				for _, c := range resp.Header.Values("Set-Cookie") {
					if c != "sid="+id {
						t.Errorf("request %d got another's cookie %q", k, c)
					}
				}
				if isHit(resp) && strings.HasPrefix(b, "personal") {
					t.Errorf("request %d: personal page served from cache", k)
				}
			}
		})
	}
	wg.Wait()
	if st := e.Status(); st.Hits == 0 || fast.Load() == 0 {
		t.Errorf("no hits at all, or none on the fast path (%d): %+v", fast.Load(), st)
	}
	// Nothing personal may be left in the store either.
	for p := range 30 {
		for _, ae := range []string{"", "gzip"} {
			r := httptest.NewRequest("GET", fmt.Sprintf("http://shop.test/p/%d", p), nil)
			r.Header.Set("Accept-Encoding", ae)
			if ent, _ := e.lookup(r); ent != nil && strings.Contains(string(ent.Body), "personal") {
				t.Errorf("/p/%d: a personal page is stored", p)
			}
		}
	}
}

// TestPerRequestFieldsNotReplayed: the fields an origin writes for one
// request (its X-Request-Id, as the app echoes it, and its Server-Timing)
// reach that request only: a hit, a coalesced waiter or a revalidated page
// never carries another request's (issue 9, item 12).
func TestPerRequestFieldsNotReplayed(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var hold sync.Once
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Request-Id") == "leader" {
			hold.Do(func() { close(entered); <-release })
		}
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
		w.Header().Set("Server-Timing", "app;dur=3;desc="+r.Header.Get("X-Request-Id"))
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "page")
	})
	e, clk := newEdge(t, o.URL)
	addr, _ := serveH1(t, e, true)
	joins := watchJoins(e)
	id := func(v string) http.Header { return http.Header{"X-Request-Id": {v}} }

	leader := make(chan *http.Response, 1)
	go func() { leader <- do(e, "GET", "http://shop.test/p", id("leader")) }()
	<-entered
	waiter := make(chan *http.Response, 1)
	go func() { waiter <- do(e, "GET", "http://shop.test/p", id("waiter")) }()
	waitJoined(joins, 1)
	close(release)
	check := func(name string, resp *http.Response, own string) {
		t.Helper()
		for _, f := range []string{"X-Request-Id", "Server-Timing"} {
			if v := resp.Header.Get(f); v != "" && !strings.Contains(v, own) {
				t.Errorf("%s: %s %q, another request's", name, f, v)
			}
		}
	}
	check("leader", <-leader, "leader")
	check("coalesced waiter", <-waiter, "waiter")
	check("hit", do(e, "GET", "http://shop.test/p", id("hit")), "hit")
	resp, _ := rawGet(t, addr, "GET /p HTTP/1.1\r\nHost: shop.test\r\nX-Request-Id: fast\r\n\r\n")
	check("fast hit", resp, "fast")
	clk.Advance(time.Minute)
	check("revalidation", do(e, "GET", "http://shop.test/p", id("revalidator")), "revalidator")
	check("hit after revalidation", do(e, "GET", "http://shop.test/p", id("after")), "after")
	resp, _ = rawGet(t, addr, "GET /p HTTP/1.1\r\nHost: shop.test\r\nX-Request-Id: fast2\r\n\r\n")
	check("fast hit after revalidation", resp, "fast2")
}
