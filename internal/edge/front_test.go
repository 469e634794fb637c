package edge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/edge/h1"
)

// echoOrigin answers every request with what it received of the fields
// the edge sets (in X-Got-* response fields) and the request body.
func echoOrigin(t *testing.T) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Got-Host", r.Host)
		for _, f := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "X-Real-Ip"} {
			h.Set("X-Got-"+f, strings.Join(r.Header.Values(f), "|"))
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "origin: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	})
}

// TestForwardingHeaders (issue 9, item 3): the edge believes forwarding
// fields only from its trusted proxies. From them it keeps the chain and
// appends the peer; from anyone else it replaces them with what it saw
// itself, so behind a TLS terminator the app learns the client spoke
// HTTPS, and nobody else can say so.
func TestForwardingHeaders(t *testing.T) {
	claims := http.Header{
		"X-Forwarded-For":   {"203.0.113.7"},
		"X-Forwarded-Proto": {"https"},
		"X-Forwarded-Host":  {"shop.example"},
		"Forwarded":         {"for=203.0.113.7;proto=https"},
		"X-Real-Ip":         {"203.0.113.7"},
	}
	tests := []struct {
		name    string
		trusted string
		remote  string
		tls     bool
		hdr     http.Header
		want    map[string]string // X-Forwarded-* etc. as the origin got them
	}{
		{"untrusted claims dropped", "", "192.0.2.1:1234", false, claims, map[string]string{
			"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "shop.test", "Forwarded": "", "X-Real-Ip": "",
		}},
		{"untrusted over TLS", "", "192.0.2.1:1234", true, claims, map[string]string{
			"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.test",
		}},
		{"another network is not trusted", "10.0.0.0/8", "192.0.2.1:1234", false, claims, map[string]string{
			"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "shop.test", "Forwarded": "",
		}},
		{"trusted proxy's chain kept", "192.0.2.0/24", "192.0.2.1:1234", false, claims, map[string]string{
			"X-Forwarded-For": "203.0.113.7, 192.0.2.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example",
			"Forwarded": "for=203.0.113.7;proto=https", "X-Real-Ip": "203.0.113.7",
		}},
		{"trusted proxy without claims", "loopback,192.0.2.1", "192.0.2.1:1234", false, nil, map[string]string{
			"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "shop.test",
		}},
		{"IPv6 peer", "", "[2001:db8::1]:1234", false, nil, map[string]string{"X-Forwarded-For": "2001:db8::1"}},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} { // fetch and passThrough
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				o := echoOrigin(t)
				e, _ := newEdge(t, o.URL)
				e.TrustedProxies = clientaddr.MustParse(tt.trusted)
				target := "http://shop.test/p"
				if tt.tls {
					target = "https://shop.test/p"
				}
				r := httptest.NewRequest(method, target, nil)
				r.RemoteAddr = tt.remote
				if tt.tls {
					r.TLS = &tls.ConnectionState{}
				}
				for k, v := range tt.hdr {
					r.Header[k] = v
				}
				w := httptest.NewRecorder()
				e.ServeHTTP(w, r)
				resp := w.Result()
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				for f, want := range tt.want {
					if got := resp.Header.Get("X-Got-" + f); got != want {
						t.Errorf("%s at the origin: %q, want %q", f, got, want)
					}
				}
				if got := resp.Header.Get("X-Got-Host"); got != "shop.test" {
					t.Errorf("Host at the origin: %q", got)
				}
				if r.Header.Get("X-Forwarded-For") != tt.hdr.Get("X-Forwarded-For") {
					t.Error("the incoming request was changed")
				}
			})
		}
	}
}

// frontServers serves e with the edge's own server (the fast path on)
// and with net/http, the two ways `agora edge` serves.
func frontServers(t *testing.T, e *Edge) map[string]string {
	h1Addr, _ := serveH1(t, e, true)
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	return map[string]string{"h1": h1Addr, "net/http": ts.Listener.Addr().String()}
}

// TestHostRequired (issue 9, item 8): without a Host, Go's proxy sends the
// backend's own address as Host, and the app builds links from it into a
// page the edge then caches (robots.txt named http://127.0.0.1:<port>/).
// The edge refuses such requests, and absolute-form targets that are not
// plain http or that carry userinfo, on both servers.
func TestHostRequired(t *testing.T) {
	o := echoOrigin(t)
	e, _ := newEdge(t, o.URL)
	backend := strings.TrimPrefix(o.URL, "http://")
	for name, addr := range frontServers(t, e) {
		for _, tc := range []struct {
			name, head string
			status     int
			host       string // Host at the origin, when it answered
		}{
			{"empty Host", "GET /robots.txt HTTP/1.1\r\nHost:\r\n\r\n", 400, ""},
			{"HTTP/1.0 without Host", "GET /robots.txt HTTP/1.0\r\n\r\n", 400, ""},
			{"HTTP/1.0 with Host", "GET /robots.txt HTTP/1.0\r\nHost: shop.test\r\n\r\n", 200, "shop.test"},
			{"absolute form", "GET http://shop.test/robots.txt HTTP/1.1\r\nHost: other.test\r\n\r\n", 200, "shop.test"},
			{"absolute form, other scheme", "GET ftp://shop.test/robots.txt HTTP/1.1\r\nHost: shop.test\r\n\r\n", 400, ""},
			{"absolute form, https on a plain listener", "GET https://shop.test/robots.txt HTTP/1.1\r\nHost: shop.test\r\n\r\n", 400, ""},
			{"absolute form, userinfo", "GET http://user:pw@shop.test/robots.txt HTTP/1.1\r\nHost: shop.test\r\n\r\n", 400, ""},
			{"absolute form, no authority", "GET http:///robots.txt HTTP/1.1\r\nHost: shop.test\r\n\r\n", 400, ""},
			{"POST with empty Host", "POST /cart HTTP/1.1\r\nHost:\r\nContent-Length: 0\r\n\r\n", 400, ""},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				before := o.hits.Load()
				resp, _ := rawGet(t, addr, tc.head)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				got := resp.Header.Get("X-Got-Host")
				if got == backend || tc.status != 200 && o.hits.Load() != before {
					t.Fatalf("the origin was asked (Host %q)", got)
				}
				if got != tc.host {
					t.Errorf("Host at the origin %q, want %q", got, tc.host)
				}
			})
		}
	}
}

// syncBuffer is a log destination tests read while servers write. When
// seen is set, it is closed once a line containing want was written.
type syncBuffer struct {
	mu   sync.Mutex // protects b, seen
	b    bytes.Buffer
	want string
	seen chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen != nil && bytes.Contains(p, []byte(s.want)) {
		close(s.seen)
		s.seen = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClientBodyErrors (issue 9, item 10): a request body the client got
// wrong is the client's fault: 400, logged at debug, never the "We'll be
// right back" page and a warning that the origin failed.
func TestClientBodyErrors(t *testing.T) {
	var logs syncBuffer
	o := echoOrigin(t)
	e, _ := newEdge(t, o.URL)
	e.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for name, addr := range frontServers(t, e) {
		for _, tc := range []struct {
			name, req string
			halfClose bool // the client stops sending: the body is cut short
			status    int
		}{
			{"malformed chunk size", "POST /cart HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", false, 400},
			{"oversized chunk extension", "POST /cart HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n3;" + strings.Repeat("x", 8000) + "\r\nabc\r\n0\r\n\r\n", false, 400},
			{"truncated body", "POST /cart HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 100\r\n\r\nabc", true, 400},
			{"truncated chunked body", "POST /cart HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", true, 400},
			{"good body", "POST /cart HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 3\r\n\r\nabc", false, 200},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, tc.req)
				if tc.halfClose {
					c.(*net.TCPConn).CloseWrite()
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "POST"})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status || strings.Contains(string(b), "right back") {
					t.Errorf("status %d %q, want %d", resp.StatusCode, b, tc.status)
				}
			})
		}
	}
	if l := logs.String(); strings.Contains(l, "level=WARN") || strings.Contains(l, "origin failed") {
		t.Errorf("client errors logged as origin failures:\n%s", l)
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Error("client errors not logged at debug")
	}
	if n := e.front.badRequests.Load(); n != 8 {
		t.Errorf("bad requests counted %d, want 8", n)
	}
	if n := e.front.originFailures.Load(); n != 0 {
		t.Errorf("origin failures counted %d, want 0", n)
	}
	e.Conns = h1.Limit(nil, h1.Limits{})
	admin := httptest.NewServer(e.AdminHandler(""))
	defer admin.Close()
	m := scrape(t, admin)
	for series, want := range map[string]float64{
		`agora_edge_client_errors_total{kind="bad_request"}`:           8,
		`agora_edge_client_errors_total{kind="gone"}`:                  0,
		`agora_edge_origin_failures_total`:                             0,
		`agora_edge_connections_open`:                                  0,
		`agora_edge_connections_refused_total{cap="max-conns"}`:        0,
		`agora_edge_connections_refused_total{cap="max-conns-per-ip"}`: 0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}

// TestClientGone (issue 9, item 10): a client that goes away while the
// origin works is logged as 499 at debug, its backend request is
// cancelled, and nothing says the origin failed; on either server.
func TestClientGone(t *testing.T) {
	for _, server := range []string{"h1", "net/http"} {
		t.Run(server, func(t *testing.T) {
			gone := make(chan struct{})
			logs := syncBuffer{want: "status=499", seen: gone}
			started, cancelled := make(chan struct{}), make(chan struct{})
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				io.ReadAll(r.Body) // net/http notices a close only after the body
				close(started)
				<-r.Context().Done()
				close(cancelled)
			})
			e, _ := newEdge(t, o.URL)
			e.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			addr := frontServers(t, e)[server]
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, "POST /slow HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 2\r\n\r\nhi")
			<-started
			c.Close()
			<-cancelled
			<-gone // the test times out if the edge never logs the 499
			l := logs.String()
			if strings.Contains(l, "level=WARN") || !strings.Contains(l, "status=499") {
				t.Errorf("log:\n%s", l)
			}
			if n := e.front.clientGone.Load(); n != 1 {
				t.Errorf("clients gone counted %d, want 1", n)
			}
		})
	}
}

// TestHeadMiss (issue 9, item 10): HEAD on a miss answers with the
// origin's Content-Length and Vary, as GET would, not Content-Length: 0.
func TestHeadMiss(t *testing.T) {
	const page = "<p>a page of some length</p>"
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Vary", "Accept-Encoding, Accept-Language")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		io.WriteString(w, page)
	})
	e, _ := newEdge(t, o.URL)
	for name, addr := range frontServers(t, e) {
		t.Run(name, func(t *testing.T) {
			path := "/p-" + strings.ReplaceAll(name, "/", "")
			resp, b := rawGet(t, addr, "HEAD "+path+" HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != 200 || len(b) != 0 {
				t.Fatalf("status %d body %q", resp.StatusCode, b)
			}
			if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(page)) {
				t.Errorf("Content-Length %q, want %d (%v)", got, len(page), resp.Header)
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding, Accept-Language" {
				t.Errorf("Vary %q", got)
			}
		})
	}
}

// TestSlowBody (issue 9, item 10): a request body that does not arrive
// within the server's ReadTimeout is the client's fault: 408, not the
// origin failing; on either server.
func TestSlowBody(t *testing.T) {
	o := echoOrigin(t)
	e, _ := newEdge(t, o.URL)
	const timeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &h1.Server{Handler: e, ReadTimeout: timeout}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Shutdown(context.Background()) })
	ns := httptest.NewUnstartedServer(e)
	ns.Config.ReadTimeout = timeout
	ns.Start()
	t.Cleanup(ns.Close)
	for name, addr := range map[string]string{"h1": ln.Addr().String(), "net/http": ns.Listener.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "POST /cart HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 10\r\n\r\nabc")
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: "POST"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("status %d, want 408", resp.StatusCode)
			}
		})
	}
	if n := e.front.originFailures.Load(); n != 0 {
		t.Errorf("origin failures counted %d, want 0", n)
	}
}

// TestAllowedHosts (issue 9, item 8): with AllowedHosts set, a request for
// another host is refused with 421 before it reaches the app or the cache,
// so no page is built or stored for a name the store does not own.
func TestAllowedHosts(t *testing.T) {
	o := echoOrigin(t)
	e, _ := newEdge(t, o.URL)
	e.AllowedHosts = []string{"shop.example", "www.shop.example", "[2001:db8::1]"}
	for _, tc := range []struct {
		target string
		host   string
		status int
	}{
		{"http://shop.example/p", "", 200},
		{"http://SHOP.example:8080/p", "", 200},
		{"http://www.shop.example/p", "", 200},
		{"http://evil.example/p", "", 421},
		{"http://shop.example.evil.example/p", "", 421},
		{"http://127.0.0.1/p", "", 421},
		{"/p", "[::1]:80", 421},
		{"/p", "[2001:db8::1]:80", 200},
		{"/p", "[2001:db8::1]", 200},
	} {
		before := o.hits.Load()
		r := httptest.NewRequest("GET", tc.target, nil)
		if tc.host != "" {
			r.Host = tc.host
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.target, tc.host, w.Code, tc.status)
		}
		if tc.status != 200 && o.hits.Load() != before {
			t.Errorf("%s: forwarded", tc.target)
		}
	}
}

// TestForwardedSchemeKeysTheCache: behind a TLS terminator the edge trusts,
// a page the app built for https (its links, its canonical URL) is kept
// apart from the page built for http, on both servers; the fast path
// included. An untrusted client's claim of https changes nothing.
func TestForwardedSchemeKeysTheCache(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		io.WriteString(w, "page for "+r.Header.Get("X-Forwarded-Proto"))
	})
	for _, trusted := range []string{"loopback", ""} {
		e, _ := newEdge(t, o.URL)
		e.TrustedProxies = clientaddr.MustParse(trusted)
		for name, addr := range frontServers(t, e) {
			t.Run(name+"/trusted="+trusted, func(t *testing.T) {
				get := func(proto string) string {
					req, _ := http.NewRequest("GET", "http://"+addr+"/p-"+name, nil)
					req.Host = "shop.test"
					if proto != "" {
						req.Header.Set("X-Forwarded-Proto", proto)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					return body(t, resp)
				}
				wantTLS := "page for https"
				if trusted == "" {
					wantTLS = "page for http" // the claim is not believed
				}
				for range 2 { // a miss, then a hit
					if got := get("https"); got != wantTLS {
						t.Errorf("over https: %q, want %q", got, wantTLS)
					}
					if got := get(""); got != "page for http" {
						t.Errorf("over http: %q, want the http page", got)
					}
				}
			})
		}
	}
}
