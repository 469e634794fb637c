package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/edge/balance"
)

// pattern is a deterministic body of n bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// diffHandler is the server both clients talk to in the differential
// test: each path is a way of answering.
func diffHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("n"))
	switch r.URL.Path {
	case "/cl":
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(pattern(n))
	case "/chunked":
		b := pattern(n)
		for len(b) > 0 {
			k := min(len(b), 3000)
			w.Write(b[:k])
			w.(http.Flusher).Flush()
			b = b[k:]
		}
	case "/trailer":
		w.Header().Set("Trailer", "X-Sum")
		w.Write(pattern(n))
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "42")
	case "/status":
		code, _ := strconv.Atoi(q.Get("code"))
		w.Header().Set("Etag", `"v1"`)
		w.WriteHeader(code)
		if code != http.StatusNoContent && code != http.StatusNotModified {
			w.Write(pattern(n))
		}
	case "/close":
		w.Header().Set("Connection", "close")
		w.Write(pattern(n))
	case "/early":
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Write(pattern(n))
	case "/echo":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var keys []string
		for k := range r.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintf(w, "%s %s %s host=%s cl=%d te=%v close=%v\n", r.Method, r.RequestURI, r.Proto, r.Host, r.ContentLength, r.TransferEncoding, r.Close)
		for _, k := range keys {
			fmt.Fprintf(w, "%s: %q\n", k, r.Header[k])
		}
		fmt.Fprintf(w, "body %d %q\n", len(body), body[:min(len(body), 64)])
	default:
		http.NotFound(w, r)
	}
}

// outcome is what a caller sees of a round trip, for comparing clients.
type outcome struct {
	Status        string
	Proto         string
	Header        http.Header
	ContentLength int64
	TE            []string
	Close         bool
	Body          string
	Err           string
}

func doRoundTrip(t *testing.T, rt http.RoundTripper, mk func() *http.Request) outcome {
	t.Helper()
	resp, err := rt.RoundTrip(mk())
	if err != nil {
		return outcome{Err: "error"}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o := outcome{Status: resp.Status, Proto: resp.Proto, Header: resp.Header.Clone(), ContentLength: resp.ContentLength,
		TE: resp.TransferEncoding, Close: resp.Close, Body: string(body)}
	if err != nil {
		o.Err = "body error"
	}
	o.Header.Del("Date")
	return o
}

type diffCase struct {
	name string
	mk   func(base string) *http.Request
}

func diffCases() []diffCase {
	get := func(path string) func(string) *http.Request {
		return func(base string) *http.Request {
			r, _ := http.NewRequest("GET", base+path, nil)
			return r
		}
	}
	method := func(m, path string, body []byte) func(string) *http.Request {
		return func(base string) *http.Request {
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			r, _ := http.NewRequest(m, base+path, rd)
			r.Header.Set("X-Test", " spaced ")
			r.Header.Add("X-List", "a")
			r.Header.Add("X-List", "b")
			return r
		}
	}
	cases := []diffCase{
		{"get cl 0", get("/cl?n=0")},
		{"get cl 1", get("/cl?n=1")},
		{"get cl 5000", get("/cl?n=5000")},
		{"get cl 1MiB", get("/cl?n=1048576")},
		{"head cl", method("HEAD", "/cl?n=5000", nil)},
		{"get chunked", get("/chunked?n=10000")},
		{"get chunked large", get("/chunked?n=300000")},
		{"head chunked", method("HEAD", "/chunked?n=10", nil)},
		{"trailer", get("/trailer?n=100")},
		{"204", get("/status?code=204")},
		{"304", get("/status?code=304")},
		{"404 body", get("/status?code=404&n=10")},
		{"503 body", get("/status?code=503&n=10")},
		{"connection close", get("/close?n=100")},
		{"103 early hints", get("/early?n=10")},
		{"echo get", method("GET", "/echo?a=1&b=%20x", nil)},
		{"echo escaped path", method("GET", "/echo/a%20b/%2F", nil)},
		{"echo post", method("POST", "/echo", pattern(1000))},
		{"echo post empty", method("POST", "/echo", nil)},
		{"echo put large", method("PUT", "/echo", pattern(200000))},
		{"echo delete", method("DELETE", "/echo", nil)},
		{"echo options", method("OPTIONS", "/echo", nil)},
		{"echo post chunked", func(base string) *http.Request {
			r, _ := http.NewRequest("POST", base+"/echo", io.NopCloser(strings.NewReader(strings.Repeat("x", 20000))))
			r.ContentLength = -1
			return r
		}},
		{"echo host and close", func(base string) *http.Request {
			r, _ := http.NewRequest("GET", base+"/echo", nil)
			r.Host = "shop.example"
			r.Close = true
			r.Header["User-Agent"] = []string{""}
			return r
		}},
		{"echo user agent", func(base string) *http.Request {
			r, _ := http.NewRequest("GET", base+"/echo", nil)
			r.Header.Set("User-Agent", "edge/1")
			r.Header.Set("Accept-Encoding", "gzip")
			return r
		}},
	}
	return cases
}

// TestClientMatchesTransport sends the same requests through the Client
// and through net/http's Transport, to the same server, and expects the
// same responses: status, header, framing, body.
func TestClientMatchesTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(diffHandler))
	defer srv.Close()
	std := &http.Transport{DisableCompression: true}
	defer std.CloseIdleConnections()
	c := &Client{ResponseHeaderTimeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	for pass := range 2 { // the second pass reuses pooled connections
		for _, tc := range diffCases() {
			want := doRoundTrip(t, std, func() *http.Request { return tc.mk(srv.URL) })
			got := doRoundTrip(t, c, func() *http.Request { return tc.mk(srv.URL) })
			if want.Err != "" {
				t.Errorf("%s: net/http failed: the case tests nothing", tc.name)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("pass %d, %s:\n got %+v\nwant %+v", pass, tc.name, trimOutcome(got), trimOutcome(want))
			}
		}
	}
}

func trimOutcome(o outcome) outcome {
	if len(o.Body) > 300 {
		o.Body = o.Body[:300] + "…"
	}
	return o
}

// rawServer answers each connection with serve, on loopback.
func rawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest reads one request head and body off br.
func readRequest(br *bufio.Reader) (*http.Request, error) {
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, r.Body)
	return r, nil
}

// TestClientMatchesTransportRaw compares the clients on answers net/http's
// server does not give: HTTP/1.0 without a length, reasons of the
// backend's own, LF line ends, repeated fields.
func TestClientMatchesTransportRaw(t *testing.T) {
	answers := map[string]string{
		"/http10":   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread to the end",
		"/http10ka": "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
		"/nolength": "HTTP/1.1 200 OK\r\n\r\nuntil close",
		"/reason":   "HTTP/1.1 299 Fine Indeed\r\nContent-Length: 2\r\n\r\nok",
		"/noreason": "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
		"/lf":       "HTTP/1.1 200 OK\nX-A: 1\nContent-Length: 2\n\nok",
		"/repeat":   "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 2\r\nContent-Length: 2\r\nx-lower_case: v\r\n\r\nok",
		"/chunkext": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n",
		"/1xx":      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-P: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"/ws":       "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Ws: \t tabbed \t\r\n\r\nbody",
	}
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		for {
			r, err := readRequest(br)
			if err != nil {
				return
			}
			a := answers[r.URL.Path]
			io.WriteString(c, a)
			if strings.HasPrefix(a, "HTTP/1.0 200 OK\r\nContent-Type") || r.URL.Path == "/nolength" {
				return
			}
		}
	})
	std := &http.Transport{DisableCompression: true}
	defer std.CloseIdleConnections()
	c := &Client{}
	defer c.CloseIdleConnections()
	for pass := range 2 {
		for path := range answers {
			mk := func() *http.Request { r, _ := http.NewRequest("GET", base+path, nil); return r }
			want := doRoundTrip(t, std, mk)
			got := doRoundTrip(t, c, mk)
			if want.Err != "" {
				t.Errorf("%s: net/http failed: the case tests nothing", path)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("pass %d, %s:\n got %+v\nwant %+v", pass, path, got, want)
			}
		}
	}
}

// TestClientRefusesMalformed: what a backend must not send is an error,
// never a guess at the framing.
func TestClientRefusesMalformed(t *testing.T) {
	for name, a := range map[string]string{
		"te and cl":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"two lengths":      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"bad length":       "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
		"gzip te":          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"te in 1.0":        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"folding":          "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n",
		"space before :":   "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
		"bare cr":          "HTTP/1.1 200 OK\r\nX-A: 1\r2\r\nContent-Length: 0\r\n\r\n",
		"version":          "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
		"short code":       "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
		"101":              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
		"truncated head":   "HTTP/1.1 200 OK\r\nContent-Le",
		"truncated body":   "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"bad chunk":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
		"truncated chunks": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
	} {
		t.Run(name, func(t *testing.T) {
			base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := readRequest(br); err == nil {
					io.WriteString(c, a)
				}
			})
			c := &Client{}
			defer c.CloseIdleConnections()
			req, _ := http.NewRequest("GET", base+"/", nil)
			resp, err := c.RoundTrip(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatalf("no error for %q", a)
			}
		})
	}
}

// TestClientReusesConnections: one connection serves sequential requests,
// and the pool keeps it between them.
func TestClientReusesConnections(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(diffHandler))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	c := &Client{}
	defer c.CloseIdleConnections()
	for _, path := range []string{"/cl?n=10", "/chunked?n=10000", "/status?code=204", "/cl?n=0", "/trailer?n=5", "/early?n=3"} {
		for range 3 {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			resp, err := c.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	// A body closed unread, with its rest not yet here: that connection
	// is closed, the next request dials.
	req, _ := http.NewRequest("GET", srv.URL+"/cl?n=1000000", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections for sequential requests, want 1", conns)
	}
	if n := c.IdleConns(srv.Listener.Addr().String()); n != 0 {
		t.Errorf("%d idle connections after an unread body was closed, want 0", n)
	}
}

// TestClientStaleIdleConnection: the backend closes a connection after
// each response without saying so; a replayable request is sent again on
// a new connection, one that is not is answered with an error that
// balance.Classify counts as a reset, not as a failed connect.
func TestClientStaleIdleConnection(t *testing.T) {
	var mu sync.Mutex
	served := 0
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readRequest(br); err != nil {
			return
		}
		mu.Lock()
		served++
		mu.Unlock()
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		// Closed on return, as a backend's idle timeout would.
	})
	c := &Client{}
	defer c.CloseIdleConnections()
	get := func(method string, body io.Reader) (*http.Response, error) {
		req, _ := http.NewRequest(method, base+"/", body)
		if body != nil {
			req.GetBody = nil
		}
		return c.RoundTrip(req)
	}
	std := &http.Transport{}
	defer std.CloseIdleConnections()
	for _, rt := range []http.RoundTripper{c, std} { // both answer every GET
		for i := range 3 {
			req, _ := http.NewRequest("GET", base+"/", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatalf("%T: GET %d: %v", rt, i, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "ok" {
				t.Fatalf("%T: GET %d: body %q", rt, i, b)
			}
		}
	}
	mu.Lock()
	if served != 6 {
		t.Errorf("served %d, want 6", served)
	}
	mu.Unlock()
	// A POST whose body cannot be had again is not resent; its connection
	// was checked before use, so a close seen by then costs nothing.
	resp, err := get("POST", strings.NewReader("x"))
	if err == nil {
		resp.Body.Close()
	}
	// When the close arrives after the check, the POST fails (it cannot be
	// replayed), with a reset: a raw connection stands in for that race.
	c2 := &Client{}
	req, _ := http.NewRequest("GET", base+"/", nil)
	resp, err = c2.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	addr := strings.TrimPrefix(base, "http://")
	c2.mu.Lock()
	idle := c2.idle[addr][0]
	c2.mu.Unlock()
	for !idle.peerClosed() {
		time.Sleep(time.Millisecond) // polls the observable condition
	}
	req, _ = http.NewRequest("POST", base+"/", strings.NewReader("x"))
	req.GetBody = nil
	cn, _ := c2.get(context.Background(), addr, false) // past the check, as in the race
	_, err = cn.roundTrip(context.Background(), req)
	if err == nil {
		t.Fatal("a POST on a stale connection succeeded; want an error (it cannot be replayed)")
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		t.Errorf("stale connection reported as a dial error: %v", err)
	}
	if o := balance.Classify(nil, err); o != balance.Reset {
		t.Errorf("stale connection error %v classified %v, want Reset", err, o)
	}
}

// TestClientPeerClosedIdle: a connection the backend closed while idle is
// seen as closed before it is used.
func TestClientPeerClosedIdle(t *testing.T) {
	closed := make(chan struct{})
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		c.Close()
		close(closed)
	})
	c := &Client{}
	req, _ := http.NewRequest("GET", base+"/", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-closed
	addr := strings.TrimPrefix(base, "http://")
	c.mu.Lock()
	cn := c.idle[addr][0]
	c.mu.Unlock()
	for !cn.peerClosed() {
		time.Sleep(time.Millisecond) // polls the observable condition
	}
	c.CloseIdleConnections()
}

// TestClientResponseHeaderTimeout: a backend that never answers costs the
// response-header timeout, reported as a timeout.
func TestClientResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		<-release
	})
	c := &Client{ResponseHeaderTimeout: 50 * time.Millisecond}
	std := &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}
	for _, rt := range []http.RoundTripper{c, std} {
		req, _ := http.NewRequest("GET", base+"/", nil)
		_, err := rt.RoundTrip(req)
		if o := balance.Classify(nil, err); o != balance.Timeout {
			t.Errorf("%T: err %v classified %v, want Timeout", rt, err, o)
		}
	}
}

// TestClientCancel: the request's context ends the wait for the head and
// a body read under way, with the context's error.
func TestClientCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	got := make(chan struct{}, 1)
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		r, err := readRequest(br)
		if err != nil {
			return
		}
		if r.URL.Path == "/head" {
			got <- struct{}{}
		}
		if r.URL.Path == "/body" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
		}
		<-release
	})
	for _, rt := range []http.RoundTripper{&Client{}, &http.Transport{}} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/head", nil)
		go func() {
			<-got // the request reached the backend: the client waits for the head
			cancel()
		}()
		if _, err := rt.RoundTrip(req); !errors.Is(err, context.Canceled) {
			t.Errorf("%T: waiting for the head: %v, want context.Canceled", rt, err)
		}

		ctx, cancel = context.WithCancel(context.Background())
		req, _ = http.NewRequestWithContext(ctx, "GET", base+"/body", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%T: %v", rt, err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatalf("%T: %v", rt, err)
		}
		cancel()
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
			t.Errorf("%T: reading the body: %v, want context.Canceled", rt, err)
		}
		resp.Body.Close()
	}
}

// TestClientCloseDuringRead: Close from another goroutine ends a Read
// blocked on the network.
func TestClientCloseDuringRead(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	base := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n")
		<-release
	})
	c := &Client{}
	req, _ := http.NewRequest("GET", base+"/", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	resp.Body.Close()
	if err := <-done; err == nil {
		t.Error("a body closed mid-read ended without an error")
	}
	if n := c.IdleConns(strings.TrimPrefix(base, "http://")); n != 0 {
		t.Errorf("%d idle connections, want 0", n)
	}
}

// TestClientDialError: a refused connect is a dial error (balance.Classify:
// ConnectFailure, retried on another backend for any method).
func TestClientDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &Client{DialTimeout: time.Second}
	req, _ := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader("x"))
	_, err = c.RoundTrip(req)
	if o := balance.Classify(nil, err); o != balance.ConnectFailure {
		t.Errorf("err %v classified %v, want ConnectFailure", err, o)
	}
}

// TestClientFallback: what the client does not speak goes to Fallback.
func TestClientFallback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(diffHandler))
	defer srv.Close()
	c := &Client{Fallback: srv.Client().Transport}
	req, _ := http.NewRequest("GET", srv.URL+"/cl?n=3", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "abc" {
		t.Errorf("body %q", b)
	}
	c2 := &Client{}
	req, _ = http.NewRequest("GET", srv.URL+"/cl?n=3", nil)
	if _, err := c2.RoundTrip(req); !errors.Is(err, ErrUnsupported) {
		t.Errorf("https without Fallback: %v, want ErrUnsupported", err)
	}
}

// TestClientConcurrent: many goroutines share the pool (run with -race).
func TestClientConcurrent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(diffHandler))
	defer srv.Close()
	c := &Client{MaxIdlePerHost: 4}
	defer c.CloseIdleConnections()
	paths := []string{"/cl?n=100", "/chunked?n=7000", "/status?code=204", "/close?n=10", "/cl?n=70000"}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				path := paths[(g+i)%len(paths)]
				req, _ := http.NewRequest("GET", srv.URL+path, nil)
				resp, err := c.RoundTrip(req)
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := 0
				if i := strings.Index(path, "n="); i >= 0 {
					want, _ = strconv.Atoi(path[i+2:])
				}
				if err != nil || len(b) != want {
					errs <- fmt.Errorf("%s: %d bytes, %v", path, len(b), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := c.IdleConns(srv.Listener.Addr().String()); n > 4 {
		t.Errorf("%d idle connections, more than MaxIdlePerHost 4", n)
	}
}
