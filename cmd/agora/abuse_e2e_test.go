package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawExchange sends head on a new connection to addr and reads one
// response, then reads on to the close when the edge announces one
// (reporting whether the connection closed).
func rawExchange(t *testing.T, addr, head string) (resp *http.Response, body string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, head)
	br := bufio.NewReader(c)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.Close {
		rest, err := io.ReadAll(br)
		closed = err == nil && len(rest) == 0
	}
	return resp, string(b), closed
}

// TestEdgeE2ESmuggling (issue 12): request smuggling probes between the
// edge and the app. Every ambiguous framing is refused with 400 (501 for
// a coding it does not know) and the connection closed, and nothing
// hidden in a body reaches the app as a request of its own.
func TestEdgeE2ESmuggling(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string // what reached the app: "METHOD /path body"
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
	}))
	defer app.Close()
	e := start(t, "edge", "--listen", "127.0.0.1:0", "--admin-listen", "", "--backends", app.URL)
	addr := strings.TrimPrefix(e.url, "http://")
	const smuggled = "GET /smuggled HTTP/1.1\r\nHost: shop.test\r\n\r\n"
	for _, tc := range []struct {
		name, head string
		status     int
	}{
		{"CL and TE", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"TE and CL", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 48\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"TE with obs-fold", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"duplicate Content-Length, different", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n" + smuggled, 400},
		{"Content-Length list", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 0, 44\r\n\r\n" + smuggled, 400},
		{"chunk size overflow", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\n" + smuggled, 400},
		{"TE chunked, identity", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"TE twice", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"TE space before colon", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"TE unknown coding", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled, 501},
		{"bare LF in chunk", "POST /probe HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n" + smuggled, 400},
	} {
		resp, body, closed := rawExchange(t, addr, tc.head)
		if resp.StatusCode != tc.status || !closed {
			t.Errorf("%s: %d %q (closed %v); want %d and the connection closed", tc.name, resp.StatusCode, body, closed, tc.status)
		}
	}
	// Equal duplicates are one length (RFC 9112 §6.3): forwarded once, with
	// one Content-Length of the edge's making, and what follows the body is
	// the next request on the client's connection, never inside the app's.
	resp, _, _ := rawExchange(t, addr, "POST /dup HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
	if resp.StatusCode != 200 {
		t.Errorf("equal Content-Length fields: %d", resp.StatusCode)
	}
	// A 1 MB head: 431, closed, never forwarded.
	resp, _, closed := rawExchange(t, addr, "GET /big HTTP/1.1\r\nHost: shop.test\r\nX-Big: "+strings.Repeat("a", 1<<20)+"\r\n\r\n")
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !closed {
		t.Errorf("1 MB of header: %d, closed %v; want 431 and closed", resp.StatusCode, closed)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range seen {
		if s == "GET /readyz " {
			continue // the edge's health checks
		}
		if !strings.HasPrefix(s, "POST /dup ok") && !strings.HasPrefix(s, "POST /probe ") {
			t.Errorf("the app got %q", s)
		}
		if strings.Contains(s, "/smuggled") || strings.HasPrefix(s, "GET /big") {
			t.Errorf("smuggled or refused request reached the app: %q", s)
		}
	}
}

// TestEdgeE2ECachePoisoning (issue 12): headers that are not part of the
// cache key cannot change a cached page. Each poisoning request is the
// first for its page (so its answer is what gets stored); a clean request
// then gets the stored page, which must be the page anyone would get:
// links on the store's own origin and scheme, the product asked for.
func TestEdgeE2ECachePoisoning(t *testing.T) {
	t.Parallel()
	rt := startRateTier(t)
	e, _ := startEdge(t, "--backends", rt.app, "--cluster-secret", rt.secret, "--response-header-timeout", "60s")
	c := &http.Client{}
	resp, body := fetch(t, c, newGet(t, e.url+"/api/v1/products?per_page=20"))
	var list struct {
		Items []struct{ Slug, Name string } `json:"items"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Items) < 8 {
		t.Fatalf("products: %d %s", resp.StatusCode, body)
	}
	poisons := []struct{ name, value string }{
		{"X-Forwarded-Host", "evil.example"},
		{"X-Forwarded-Proto", "https"},
		{"X-Original-URL", "/admin"},
		{"X-Rewrite-URL", "/account"},
		{"X-Forwarded-Scheme", "https"},
		{"X-Host", "evil.example"},
		{"Forwarded", "host=evil.example;proto=https"},
		{"X-HTTP-Method-Override", "POST"},
	}
	host := strings.TrimPrefix(e.url, "http://")
	for i, p := range poisons {
		item := list.Items[i]
		url := e.url + "/products/" + item.Slug
		fetch(t, c, newGet(t, url, p.name, p.value)) // cold: this answer is stored
		resp, body := fetch(t, c, newGet(t, url))
		switch {
		case !isHit(resp):
			t.Errorf("%s: the clean request was not a hit (%s): the poisoned one was not stored, the test proves nothing", p.name, resp.Header.Get("Cache-Status"))
		case strings.Contains(body, "evil.example") || strings.Contains(body, "https://"+host):
			t.Errorf("%s: %s poisoned the stored page", p.name, p.value)
		case !strings.Contains(body, `<link rel="canonical" href="`+rt.app+"/products/"+item.Slug+`">`) || !strings.Contains(body, item.Name):
			// The app names its links from its public URL (its listen
			// address, since the test gives none), whatever a header says.
			t.Errorf("%s: the stored page is not %s's product page", p.name, item.Slug)
		}
	}
}
