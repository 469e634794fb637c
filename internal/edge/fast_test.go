package edge

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"agora/internal/edge/h1"
)

// serveH1 serves e on a loopback h1.Server, with the fast path or without,
// and returns its address and a counter of the requests Fast answered.
func serveH1(t *testing.T, e *Edge, fast bool) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var answered atomic.Int64
	s := &h1.Server{Handler: e}
	if fast {
		s.Fast = func(req *h1.Request, rep *h1.Reply) bool {
			ok := e.ServeFast(req, rep)
			if ok {
				answered.Add(1)
			}
			return ok
		}
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return ln.Addr().String(), &answered
}

// rawGet sends head as is and reads one response.
func rawGet(t *testing.T, addr, head string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return exchange(t, c, head)
}

// exchange writes head as is on c and reads one response.
func exchange(t *testing.T, c net.Conn, head string) (*http.Response, []byte) {
	t.Helper()
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	method := head[:strings.IndexByte(head, ' ')]
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// getter sends a request head (HTTP/1.x syntax) one way and returns the
// response: raw on plain TCP or TLS, or translated to HTTP/2 or HTTP/3.
type getter func(t *testing.T, head string) (*http.Response, []byte)

func plainGetter(addr string) getter {
	return func(t *testing.T, head string) (*http.Response, []byte) { return rawGet(t, addr, head) }
}

// fastPathOrigin is the origin of the fast path's comparisons.
func fastPathOrigin(t *testing.T) *origin {
	page := strings.Repeat("<p>Agora fast path, compressible text.</p>\n", 100)
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "public, s-maxage=300")
		h.Set("Surrogate-Key", "product-1 home")
		switch r.URL.Path {
		case "/lang":
			h.Set("Vary", "Accept-Language")
			h.Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "lang "+r.Header.Get("Accept-Language"))
			return
		case "/tiny":
			h.Set("Content-Type", "text/plain")
			io.WriteString(w, "tiny")
			return
		case "/nodate":
			h["Date"] = nil // the origin sends none
			h.Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("ETag", `"v1"`)
		io.WriteString(w, page+r.URL.String())
	})
}

// fastCase is a request and whether the fast path answers it.
type fastCase struct {
	name string
	head string
	fast bool // answered by the fast path
	h1   bool // HTTP/1.x only: not asked over HTTP/2 or HTTP/3
}

var fastCases = []fastCase{
	{"plain GET", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"gzip", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip\r\n\r\n", true, false},
	{"browser codings", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\r\n", true, false},
	{"br refused", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: br;q=0, gzip;q=0.5\r\n\r\n", true, false},
	{"HEAD", "HEAD /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip\r\n\r\n", true, false},
	{"host case and port", "GET /p/shoe HTTP/1.1\r\nHost: SHOP.test:80\r\n\r\n", true, false},
	{"escaped path", "GET /p/a%20b HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"tilde", "GET /p/~x HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"query reordered with tracking", "GET /c/1?utm_source=x&sort=price&page=2 HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"small body", "GET /tiny HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"origin sent no Date", "GET /nodate HTTP/1.1\r\nHost: shop.test\r\n\r\n", true, false},
	{"HTTP/1.0", "GET /p/shoe HTTP/1.0\r\nHost: shop.test\r\n\r\n", true, true},
	{"cookies are not part of the key", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nCookie: s=abc\r\n\r\n", true, false},
	{"Connection: keep-alive", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nConnection: Keep-Alive\r\nAccept-Encoding: gzip\r\n\r\n", true, true},

	{"first coded hit compresses", "GET /p/fresh HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip\r\n\r\n", false, false},
	{"then is fast", "GET /p/fresh HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip\r\n\r\n", true, false},
	{"If-None-Match", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nIf-None-Match: \"v1\"\r\n\r\n", false, false},
	{"no-cache", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nCache-Control: no-cache\r\n\r\n", false, false},
	{"Pragma", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nPragma: no-cache\r\n\r\n", false, false},
	{"Connection names a field", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: gzip\r\nConnection: keep-alive, Accept-Encoding\r\n\r\n", false, true},
	{"Authorization", "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\nAuthorization: Bearer x\r\n\r\n", false, false},
	{"Vary on another field", "GET /lang HTTP/1.1\r\nHost: shop.test\r\nAccept-Language: de\r\n\r\n", false, false},
	{"path needing escapes", "GET /p/%7Bx%7D\"q HTTP/1.1\r\nHost: shop.test\r\n\r\n", false, true},
	{"not cached", "GET /p/other HTTP/1.1\r\nHost: shop.test\r\n\r\n", false, false},
	{"internal", "GET /_internal/purges HTTP/1.1\r\nHost: shop.test\r\n\r\n", false, false},
	{"POST", "POST /p/shoe HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 0\r\n\r\n", false, false},
}

// TestFastPathAnswersLikeTheOrdinaryPath: for every request the fast path
// answers, the ordinary path (the same Edge, same store, no fast handler)
// gives the same status, fields and body; requests the fast path must
// decline (conditionals, cache directives, Authorization, stale entries,
// Vary on other fields, odd paths) are declined. fast_tls_test.go runs the
// same over TLS, HTTP/2 and HTTP/3.
func TestFastPathAnswersLikeTheOrdinaryPath(t *testing.T) {
	e, _ := newEdge(t, fastPathOrigin(t).URL)
	fastAddr, answered := serveH1(t, e, true)
	slowAddr, _ := serveH1(t, e, false)
	compareFastPath(t, fastCases, answered, plainGetter(fastAddr), plainGetter(slowAddr), nil)
}

// compareFastPath warms the cache through slow, then asks each case of
// fast (counted by answered) and compares the answers the fast path gives
// with slow's; others (HTTP/2, HTTP/3) must answer each fast case as slow
// does too.
func compareFastPath(t *testing.T, cases []fastCase, answered *atomic.Int64, fast, slow getter, others map[string]getter) {
	warm := []string{"/p/shoe", "/p/a%20b", "/p/~x", "/c/1?page=2&sort=price", "/lang", "/tiny", "/nodate"}
	for _, p := range warm {
		// The miss stores the page; the first hit asking for a coding
		// makes its compressed versions (withEncoded).
		slow(t, "GET "+p+" HTTP/1.1\r\nHost: shop.test\r\nAccept-Language: de\r\n\r\n")
		slow(t, "GET "+p+" HTTP/1.1\r\nHost: shop.test\r\nAccept-Language: de\r\nAccept-Encoding: gzip\r\n\r\n")
	}
	// A page stored but never asked for in a coding: its first coded hit is
	// the ordinary path's (it compresses), the next one the fast path's.
	slow(t, "GET /p/fresh HTTP/1.1\r\nHost: shop.test\r\n\r\n")

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := answered.Load()
			fr, fb := fast(t, tc.head)
			if got := answered.Load() > before; got != tc.fast {
				t.Fatalf("answered by the fast path: %v, want %v", got, tc.fast)
			}
			if !tc.fast {
				return
			}
			sr, sb := slow(t, tc.head)
			sameAnswer(t, "fast", fr, fb, "ordinary", sr, sb)
			if tc.h1 {
				return
			}
			for name, get := range others {
				or, ob := get(t, tc.head)
				sameAnswer(t, name, or, ob, "ordinary", sr, sb)
			}
		})
	}
}

// sameAnswer compares two answers to one request: status, fields, body.
func sameAnswer(t *testing.T, an string, ar *http.Response, ab []byte, bn string, br *http.Response, bb []byte) {
	t.Helper()
	if ar.StatusCode != br.StatusCode {
		t.Errorf("status: %s %d, %s %d", an, ar.StatusCode, bn, br.StatusCode)
	}
	if !bytes.Equal(ab, bb) {
		t.Errorf("bodies differ: %s %d bytes, %s %d", an, len(ab), bn, len(bb))
	}
	for _, h := range []http.Header{ar.Header, br.Header} {
		if h.Get("Age") == "" || !strings.HasPrefix(h.Get("Cache-Status"), "agora; hit") {
			t.Errorf("Age %q, Cache-Status %q: want a hit with an Age", h.Get("Age"), h.Get("Cache-Status"))
		}
		if h.Get("Surrogate-Key") != "" {
			t.Error("Surrogate-Key leaked to the client")
		}
	}
	keys := func(h http.Header) []string {
		var ks []string
		for k, v := range h {
			ks = append(ks, k+": "+strings.Join(v, ", "))
		}
		slices.Sort(ks)
		return ks
	}
	if a, b := keys(ar.Header), keys(br.Header); !slices.Equal(a, b) {
		t.Errorf("fields differ:\n%-8s %q\n%-8s %q", an, a, bn, b)
	}
}

// TestFastPathDeclinesStale: an entry past its freshness, or soft-purged,
// goes the ordinary way (stale-while-revalidate, refresh).
func TestFastPathDeclinesStale(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, s-maxage=60, stale-while-revalidate=60")
		w.Header().Set("Surrogate-Key", "product-7")
		io.WriteString(w, "page")
	})
	e, clk := newEdge(t, o.URL)
	addr, answered := serveH1(t, e, true)
	head := "GET /p/7 HTTP/1.1\r\nHost: shop.test\r\n\r\n"
	rawGet(t, addr, head) // miss, stored
	rawGet(t, addr, head)
	if answered.Load() != 1 {
		t.Fatalf("fresh hit not answered by the fast path")
	}
	e.Store.PurgeTag("product-7", true)
	resp, _ := rawGet(t, addr, head)
	if answered.Load() != 1 || !strings.Contains(resp.Header.Get("Cache-Status"), "stale-while-revalidate") {
		t.Fatalf("soft-purged entry: fast answers %d, Cache-Status %q", answered.Load(), resp.Header.Get("Cache-Status"))
	}
	e.Wait() // the background refresh stored a fresh copy
	rawGet(t, addr, head)
	if answered.Load() != 2 {
		t.Fatalf("refreshed entry not answered by the fast path")
	}
	clk.Advance(61e9)
	rawGet(t, addr, head)
	if answered.Load() != 2 {
		t.Fatal("stale entry answered by the fast path")
	}
}

// TestFastHitDoesNotAllocate: the hit path's cost is what the benchmark
// against nginx measures; an allocation per hit would show there as GC.
func TestFastHitDoesNotAllocate(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, s-maxage=300")
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, strings.Repeat("<p>page</p>", 500))
	})
	e, _ := newEdge(t, o.URL)
	addr, _ := serveH1(t, e, false)
	rawGet(t, addr, "GET /p/1 HTTP/1.1\r\nHost: shop.test\r\n\r\n")
	rawGet(t, addr, "GET /p/1 HTTP/1.1\r\nHost: shop.test\r\nAccept-Encoding: br\r\n\r\n")
	req := &h1.Request{
		Method: []byte("GET"), Path: []byte("/p/1"), Host: []byte("shop.test"), Minor: 1,
		Fields: []h1.Field{
			{Name: []byte("Host"), Value: []byte("shop.test")},
			{Name: []byte("User-Agent"), Value: []byte("Mozilla/5.0")},
			{Name: []byte("Accept-Encoding"), Value: []byte("gzip, deflate, br")},
			{Name: []byte("Cookie"), Value: []byte("agora_session=abc")},
		},
	}
	var rep h1.Reply
	allocs := testing.AllocsPerRun(1000, func() {
		rep.Head = rep.Head[:0]
		if !e.ServeFast(req, &rep) {
			t.Fatal("hit declined")
		}
	})
	if allocs != 0 {
		t.Errorf("a fast hit allocates %.1f times; want 0", allocs)
	}
}

// TestRepeatedParameters: the app reads a parameter's first value, so
// /search?q=sofa&q=boot and /search?q=boot&q=sofa are two pages, on the
// ordinary path and the fast path alike (issue 9, item 7).
func TestRepeatedParameters(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "results for "+r.URL.Query().Get("q"))
	})
	e, _ := newEdge(t, o.URL)
	addr, fast := serveH1(t, e, true)
	for range 2 { // a miss, then hits: fast ones on the second round
		for _, tt := range []struct{ query, want string }{
			{"q=sofa&q=boot", "results for sofa"},
			{"q=boot&q=sofa", "results for boot"},
			{"page=2&q=boot&q=sofa", "results for boot"},
			{"q=sofa&page=2&q=boot", "results for sofa"},
		} {
			if got := body(t, do(e, "GET", "http://shop.test/search?"+tt.query, nil)); got != tt.want {
				t.Errorf("%s: %q, want %q", tt.query, got, tt.want)
			}
			if _, got := rawGet(t, addr, "GET /search?"+tt.query+" HTTP/1.1\r\nHost: shop.test\r\n\r\n"); string(got) != tt.want {
				t.Errorf("%s, fast path: %q, want %q", tt.query, got, tt.want)
			}
		}
	}
	if fast.Load() == 0 {
		t.Error("the fast path answered none of them")
	}
}
