package main_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestEdgeE2EFrontDoor (issue 9, items 3, 8, 9): `agora edge` passes
// forwarding fields on only from --trusted-proxies, refuses a request
// without Host, and caps connections with --max-conns.
func TestEdgeE2EFrontDoor(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Got", r.Host+" "+r.Header.Get("X-Forwarded-For")+" "+r.Header.Get("X-Forwarded-Proto"))
	}))
	defer echo.Close()
	claims := func(base string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/p", nil)
		req.Host = "shop.test"
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("X-Got")
	}

	front := start(t, "edge", "--listen", "127.0.0.1:0", "--admin-listen", "", "--backends", echo.URL, "--max-conns", "2")
	if got, want := claims(front.url), "shop.test 127.0.0.1 http"; got != want {
		t.Errorf("untrusted claims reached the app: %q, want %q", got, want)
	}
	behind := start(t, "edge", "--listen", "127.0.0.1:0", "--admin-listen", "", "--backends", echo.URL, "--trusted-proxies", "loopback")
	if got, want := claims(behind.url), "shop.test 203.0.113.7, 127.0.0.1 https"; got != want {
		t.Errorf("a trusted proxy's claims: %q, want %q", got, want)
	}

	addr := strings.TrimPrefix(front.url, "http://")
	raw := func(head string) (net.Conn, *http.Response) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, head)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		return c, resp
	}
	before := hits.Load()
	if _, resp := raw("GET /robots.txt HTTP/1.0\r\n\r\n"); resp.StatusCode != 400 || hits.Load() != before {
		t.Errorf("a request without Host: %d, origin asked %d times", resp.StatusCode, hits.Load()-before)
	}
	// Two connections held open fill --max-conns 2; the third is refused.
	raw("GET /p HTTP/1.1\r\nHost: shop.test\r\n\r\n")
	raw("GET /p HTTP/1.1\r\nHost: shop.test\r\n\r\n")
	if _, resp := raw("GET /p HTTP/1.1\r\nHost: shop.test\r\n\r\n"); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("past --max-conns: %d %v", resp.StatusCode, resp.Header)
	}

	if code, _, stderr := run(t, "edge", "--backends", echo.URL, "--trusted-proxies", "10.0.0.0/33"); code != 2 || !strings.Contains(stderr, "--trusted-proxies") {
		t.Errorf("a bad --trusted-proxies: exit %d, %q", code, stderr)
	}
}
