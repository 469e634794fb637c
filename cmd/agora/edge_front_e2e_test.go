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
// without Host or for a host not in --allowed-hosts, and caps connections
// with --max-conns.
func TestEdgeE2EFrontDoor(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Got", r.Host+" "+r.Header.Get("X-Forwarded-For")+" "+r.Header.Get("X-Forwarded-Proto"))
	}))
	defer echo.Close()
	// raw sends head on a new connection to addr and reads the answer; a
	// connection the edge closes is read to its end, since until then it
	// counts against --max-conns.
	raw := func(addr, head string) *http.Response {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, head)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.Close {
			io.Copy(io.Discard, br)
		}
		return resp
	}
	const claims = "GET /p HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"

	front := start(t, "edge", "--listen", "127.0.0.1:0", "--admin-listen", "", "--backends", echo.URL, "--max-conns", "2", "--allowed-hosts", "shop.test")
	addr := strings.TrimPrefix(front.url, "http://")
	if got, want := raw(addr, claims).Header.Get("X-Got"), "shop.test 127.0.0.1 http"; got != want {
		t.Errorf("untrusted claims reached the app: %q, want %q", got, want)
	}
	behind := start(t, "edge", "--listen", "127.0.0.1:0", "--admin-listen", "", "--backends", echo.URL, "--trusted-proxies", "loopback")
	if got, want := raw(strings.TrimPrefix(behind.url, "http://"), claims).Header.Get("X-Got"), "shop.test 203.0.113.7, 127.0.0.1 https"; got != want {
		t.Errorf("a trusted proxy's claims: %q, want %q", got, want)
	}

	before := hits.Load()
	if resp := raw(addr, "GET /robots.txt HTTP/1.0\r\n\r\n"); resp.StatusCode != 400 || hits.Load() != before {
		t.Errorf("a request without Host: %d, origin asked %d times", resp.StatusCode, hits.Load()-before)
	}
	if resp := raw(addr, "GET /p HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n"); resp.StatusCode != 421 || hits.Load() != before {
		t.Errorf("a host not in --allowed-hosts: %d", resp.StatusCode)
	}
	// Two connections held open fill --max-conns 2; the third is refused.
	for range 2 {
		if resp := raw(addr, "GET /p HTTP/1.1\r\nHost: shop.test\r\n\r\n"); resp.StatusCode != 200 {
			t.Fatalf("within --max-conns: %d", resp.StatusCode)
		}
	}
	if resp := raw(addr, "GET /p HTTP/1.1\r\nHost: shop.test\r\n\r\n"); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("past --max-conns: %d %v", resp.StatusCode, resp.Header)
	}

	if code, _, stderr := run(t, "edge", "--backends", echo.URL, "--trusted-proxies", "10.0.0.0/33"); code != 2 || !strings.Contains(stderr, "--trusted-proxies") {
		t.Errorf("a bad --trusted-proxies: exit %d, %q", code, stderr)
	}
}
