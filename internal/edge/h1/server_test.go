package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Every test shuts its server down; no connection goroutine may outlive it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bigBody is the 1 MiB body the fast handler serves at /fast/big, made so
// that a misplaced or lost chunk shows.
var bigBody = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte('a' + i%23 + i/4096%3)
	}
	return b
}()

// testFast answers GET and HEAD of /fast and /fast/big from memory, as a
// cache hit would, and declines everything else.
func testFast(req *Request, rep *Reply) bool {
	var body []byte
	switch string(req.Path) {
	case "/fast":
		body = []byte("fast")
	case "/fast/big":
		body = bigBody
	default:
		return false
	}
	head := EqualFold(req.Method, "HEAD")
	if !head && !EqualFold(req.Method, "GET") {
		return false
	}
	rep.Head = append(rep.Head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Path: fast\r\nContent-Length: "...)
	rep.Head = strconv.AppendInt(rep.Head, int64(len(body)), 10)
	rep.Head = append(rep.Head, "\r\n"...)
	if !head {
		rep.Body = body
	}
	return true
}

// testHandler is the handler path's http.Handler.
func testHandler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "small")
	})
	// 20 KiB in 1 KiB writes, no declared length: past pendingMax.
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			w.Write(bigBody[:1024])
		}
	})
	mux.HandleFunc("/declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "20480")
		for range 20 {
			w.Write(bigBody[:1024])
		}
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "b")
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), b)
	})
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</s.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic("boom")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/split", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Crlf", "a\r\nSet-Cookie: crlf=1")
		h["X-Lf"] = []string{"b\nSet-Cookie: lf=1\n"}
		h["X-Cr"] = []string{"c\rSet-Cookie: cr=1"}
		h["X-Nul"] = []string{"d\x00e"}
		h["X-Name\r\nSet-Cookie: name=1"] = []string{"f"}
		h["X-Colon: g\r\nSet-Cookie"] = []string{"name=2"}
		io.WriteString(w, "body")
	})
	return mux
}

// testServer is an h1.Server serving on a loopback listener.
type testServer struct {
	*Server
	addr     string
	served   chan struct{} // closed when Serve has returned
	serveErr error         // what Serve returned; read after served
}

// serve starts s on loopback; the test's cleanup shuts it down and fails
// if that does not end every connection.
func serve(t *testing.T, s *Server) *testServer {
	t.Helper()
	return serveOn(t, s, listen(t))
}

// listen opens a loopback listener.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveOn is serve on a listener of the test's making.
func serveOn(t *testing.T, s *Server, ln net.Listener) *testServer {
	t.Helper()
	if s.Handler == nil {
		s.Handler = testHandler()
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	ts := &testServer{Server: s, addr: ln.Addr().String(), served: make(chan struct{})}
	go func() {
		defer close(ts.served)
		ts.serveErr = s.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-ts.served
		if ts.serveErr != http.ErrServerClosed {
			t.Errorf("Serve: %v, want ErrServerClosed", ts.serveErr)
		}
	})
	return ts
}

// client is a raw TCP connection to the server under test.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// A server that never answers fails the test instead of hanging it.
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("writing %q: %v", s, err)
	}
}

// read reads one response to a request with method, and its whole body.
func (c *client) read(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("reading the response body: %v", err)
	}
	return resp, string(body)
}

// expect reads a response and checks its status and body.
func (c *client) expect(method string, status int, body string) *http.Response {
	c.t.Helper()
	resp, got := c.read(method)
	if resp.StatusCode != status || got != body {
		c.t.Fatalf("got %d %q, want %d %q", resp.StatusCode, abbrev(got), status, abbrev(body))
	}
	return resp
}

// closed checks that the server closed the connection, with nothing more
// to read.
func (c *client) closed() {
	c.t.Helper()
	b, err := io.ReadAll(c.br)
	if len(b) > 0 {
		c.t.Errorf("unexpected bytes before the close: %q", abbrev(string(b)))
	}
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, syscall.ECONNRESET):
	case errors.As(err, &ne) && ne.Timeout():
		c.t.Fatal("the server did not close the connection")
	default:
		c.t.Fatalf("reading to the close: %v", err)
	}
}

// open checks that the connection still serves requests.
func (c *client) open() {
	c.t.Helper()
	c.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
	c.expect("GET", 200, "small")
}

func abbrev(s string) string {
	if len(s) > 200 {
		return fmt.Sprintf("%s…(%d bytes)", s[:200], len(s))
	}
	return s
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})
	c := dial(t, ts.addr)
	for i := range 100 {
		path, body := "/small", "small"
		if i%2 == 0 {
			path, body = "/fast", "fast"
		}
		c.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n")
		if resp := c.expect("GET", 200, body); resp.Close {
			t.Fatalf("request %d: the server asks to close", i)
		}
	}
}

// TestPipelining: requests sent in one write, fast path and handler path
// mixed, with and without bodies, are answered in order.
func TestPipelining(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})
	c := dial(t, ts.addr)
	c.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n" +
		"POST /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /small HTTP/1.1\r\nHost: a\r\n\r\n" +
		"HEAD /fast/big HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /big HTTP/1.1\r\nHost: a\r\n\r\n" +
		"GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
	c.expect("GET", 200, "fast")
	c.expect("POST", 200, "POST /echo?x=1 hello")
	c.expect("GET", 200, "small")
	if resp := c.expect("HEAD", 200, ""); resp.ContentLength != int64(len(bigBody)) {
		t.Errorf("HEAD Content-Length %d", resp.ContentLength)
	}
	c.expect("GET", 200, "fast")
	c.expect("GET", 200, strings.Repeat(string(bigBody[:1024]), 20))
	c.expect("GET", 200, "fast")
	c.open()
}

// TestFastReply: the fast handler's head and body arrive whole however
// large the body, HEAD gets the head alone, and the connection header
// follows the client's version.
func TestFastReply(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})

	c := dial(t, ts.addr)
	c.send("GET /fast/big HTTP/1.1\r\nHost: a\r\n\r\n")
	resp, body := c.read("GET")
	if resp.StatusCode != 200 || resp.Header.Get("X-Path") != "fast" || resp.ContentLength != int64(len(bigBody)) {
		t.Fatalf("GET /fast/big: %d %v", resp.StatusCode, resp.Header)
	}
	if body != string(bigBody) {
		t.Fatal("the 1 MiB body arrived altered")
	}
	// HEAD: no body bytes, or the next response would not parse.
	c.send("HEAD /fast/big HTTP/1.1\r\nHost: a\r\n\r\n")
	c.expect("HEAD", 200, "")
	c.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
	c.expect("GET", 200, "fast")

	c10 := dial(t, ts.addr)
	c10.send("GET /fast HTTP/1.0\r\n\r\n")
	if resp := c10.expect("GET", 200, "fast"); !resp.Close {
		t.Error("HTTP/1.0 without keep-alive: no Connection: close")
	}
	c10.closed()

	ka := dial(t, ts.addr)
	for range 3 {
		ka.send("GET /fast/big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := ka.read("GET")
		if resp.Header.Get("Connection") != "keep-alive" || resp.Close || body != string(bigBody) {
			t.Fatalf("HTTP/1.0 keep-alive: Connection %q, %d body bytes", resp.Header.Get("Connection"), len(body))
		}
	}
}

// TestHandlerFraming: the handler path frames each response by what the
// handler wrote and what the client speaks.
func TestHandlerFraming(t *testing.T) {
	t.Parallel()
	big := strings.Repeat(string(bigBody[:1024]), 20)
	for _, tc := range []struct {
		name    string
		req     string
		body    string
		status  int
		length  int64 // resp.ContentLength: -1 when none was sent
		chunked bool
		close   bool // the connection closes after the response
	}{
		{"small body gets a length", "GET /small HTTP/1.1\r\nHost: a\r\n\r\n", "small", 200, 5, false, false},
		{"large body is chunked", "GET /big HTTP/1.1\r\nHost: a\r\n\r\n", big, 200, -1, true, false},
		{"flushed body is chunked", "GET /flush HTTP/1.1\r\nHost: a\r\n\r\n", "ab", 200, -1, true, false},
		{"declared length is kept", "GET /declared HTTP/1.1\r\nHost: a\r\n\r\n", big, 200, 20480, false, false},
		{"HEAD gets the length, no body", "HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n", "", 200, 20480, false, false},
		{"HEAD of a small body", "HEAD /small HTTP/1.1\r\nHost: a\r\n\r\n", "", 200, 5, false, false},
		{"HEAD of a flushed body", "HEAD /flush HTTP/1.1\r\nHost: a\r\n\r\n", "", 200, -1, true, false},
		{"204 has no body or length", "GET /empty HTTP/1.1\r\nHost: a\r\n\r\n", "", 204, 0, false, false},
		{"client asks to close", "GET /small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "small", 200, 5, false, true},
		{"handler asks to close", "GET /close HTTP/1.1\r\nHost: a\r\n\r\n", "bye", 200, 3, false, true},
		{"HTTP/1.0 small body", "GET /small HTTP/1.0\r\n\r\n", "small", 200, 5, false, true},
		{"HTTP/1.0 large body ends with the connection", "GET /big HTTP/1.0\r\n\r\n", big, 200, -1, false, true},
		{"HTTP/1.0 keep-alive small body", "GET /small HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "small", 200, 5, false, false},
		{"HTTP/1.0 keep-alive large body", "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", big, 200, -1, false, true},
		{"HTTP/1.0 keep-alive flushed body", "GET /flush HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "ab", 200, -1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := serve(t, &Server{})
			c := dial(t, ts.addr)
			c.send(tc.req)
			method := tc.req[:strings.IndexByte(tc.req, ' ')]
			resp := c.expect(method, tc.status, tc.body)
			chunked := len(resp.TransferEncoding) > 0
			if resp.ContentLength != tc.length || chunked != tc.chunked {
				t.Errorf("Content-Length %d, Transfer-Encoding %q; want %d, chunked %v",
					resp.ContentLength, resp.TransferEncoding, tc.length, tc.chunked)
			}
			if tc.status == 204 && resp.Header.Get("Content-Length") != "" {
				t.Errorf("204 with Content-Length %q", resp.Header.Get("Content-Length"))
			}
			if resp.Header.Get("Date") == "" {
				t.Error("no Date")
			}
			if tc.close {
				if !resp.Close {
					t.Error("no Connection: close before closing")
				}
				c.closed()
				return
			}
			if resp.Close {
				t.Error("Connection: close on a connection that stays open")
			}
			c.open()
		})
	}
}

// TestRequestBody: bodies reach the handler whole; an unread body is
// drained to keep the connection; a chunked body ends the connection (its
// reader may have buffered the next request) and says so.
func TestRequestBody(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})

	t.Run("Content-Length", func(t *testing.T) {
		t.Parallel()
		c := dial(t, ts.addr)
		body := strings.Repeat("0123456789", 10_000) // larger than the read buffer
		c.send("PUT /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		c.expect("PUT", 200, "PUT /echo "+body)
		c.open()
	})
	t.Run("chunked", func(t *testing.T) {
		t.Parallel()
		c := dial(t, ts.addr)
		c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
		if resp := c.expect("POST", 200, "POST /echo hello world"); !resp.Close {
			t.Error("the server closes after a chunked body without Connection: close")
		}
		c.closed()
	})
	t.Run("unread body is drained", func(t *testing.T) {
		t.Parallel()
		c := dial(t, ts.addr)
		c.send("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789")
		c.expect("POST", 200, "small")
		c.open()
	})
	t.Run("body split across writes", func(t *testing.T) {
		t.Parallel()
		c := dial(t, ts.addr)
		c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234")
		c.send("56789")
		c.expect("POST", 200, "POST /echo 0123456789")
		c.open()
	})
	t.Run("a body makes the fast handler step aside", func(t *testing.T) {
		t.Parallel()
		c := dial(t, ts.addr)
		c.send("GET /fast HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
		c.expect("GET", 404, "404 page not found\n")
		c.open()
	})
}

// TestBodyReadNotBoundByHeaderTimeout: with no ReadTimeout, a body that
// comes later than ReadHeaderTimeout or IdleTimeout after its head still
// arrives, as with net/http (the deadline that bounded the wait for the
// head must not carry over to the body).
func TestBodyReadNotBoundByHeaderTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	started := make(chan struct{})
	mux := testHandler()
	mux.HandleFunc("/slow-upload", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(b)
	})
	ts := serve(t, &Server{Handler: mux, ReadHeaderTimeout: timeout, IdleTimeout: timeout})
	c := dial(t, ts.addr)
	c.send("POST /slow-upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
	<-started
	// Not ordering anything: this lets the head's deadline pass.
	time.Sleep(3 * timeout)
	c.send("hello")
	c.expect("POST", 200, "hello")
}

// TestExpectContinue: a client waiting for 100 Continue gets it before the
// final response, and only then sends its body.
func TestExpectContinue(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{})

	c := dial(t, ts.addr)
	c.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	c.expect("POST", 100, "")
	c.send("hello")
	c.expect("POST", 200, "POST /echo hello")
	c.open()

	// Nothing to continue: no 100.
	c.send("GET /small HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n")
	c.expect("GET", 200, "small")

	// HTTP/1.0 clients never get a 1xx (RFC 9110 §15.2).
	c10 := dial(t, ts.addr)
	c10.send("POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
	c10.expect("POST", 200, "POST /echo hello")
	c10.closed()

	// Other expectations are refused.
	cx := dial(t, ts.addr)
	cx.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\nhello")
	if resp, _ := cx.read("POST"); resp.StatusCode != 417 {
		t.Errorf("Expect: 200-ok: %d, want 417", resp.StatusCode)
	}
	cx.closed()
}

func TestEarlyHints(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{})
	c := dial(t, ts.addr)
	c.send("GET /early HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := c.expect("GET", 103, ""); resp.Header.Get("Link") == "" {
		t.Error("103 without its Link")
	}
	c.expect("GET", 200, "final")
	c.open()
}

// TestBadRequests: a request the server refuses gets the status that says
// why and the connection closes, so nothing pipelined behind it (the
// smuggled request) is ever served.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})
	const next = "GET /fast HTTP/1.1\r\nHost: a\r\n\r\n"
	for _, tc := range []struct {
		name   string
		req    string
		status int
	}{
		{"TE and CL", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
		{"two Content-Length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 0\r\n\r\n", 400},
		{"Content-Length list", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0,0\r\n\r\n", 400},
		{"TE gzip", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"TE in HTTP/1.0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
		{"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400},
		{"missing Host", "GET /fast HTTP/1.1\r\n\r\n", 400},
		{"two Host", "GET /fast HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"garbage", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400},
		{"Expect", "GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n", 417},
		{"too many fields", "GET / HTTP/1.1\r\nHost: a\r\n" + manyFields(DefaultMaxFields) + "\r\n", 431},
		{"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
		{"asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"malformed target", "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		// Issue 9, item 8: an absolute-form target names this server's
		// scheme and a host, without userinfo (RFC 9112 §3.2.2).
		{"absolute form, other scheme", "GET ftp://a/small HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute form, https", "GET https://a/small HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute form, userinfo", "GET http://u:p@a/small HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute form, no host", "GET http:///small HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, ts.addr)
			c.send(tc.req + next)
			resp, body := c.read("GET")
			if resp.StatusCode != tc.status || !resp.Close {
				t.Errorf("%d (Close %v) %q; want %d and Connection: close", resp.StatusCode, resp.Close, body, tc.status)
			}
			c.closed()
		})
	}
}

// TestHeadTooLarge: a head that reaches MaxHeaderBytes gets 431, whether
// it is still arriving or arrived whole in one read.
func TestHeadTooLarge(t *testing.T) {
	t.Parallel()
	t.Run("default limit, still arriving", func(t *testing.T) {
		t.Parallel()
		ts := serve(t, &Server{})
		c := dial(t, ts.addr)
		// Exactly the limit and no blank line: the server reads it all,
		// so closing cannot reset the connection before the 431 arrives.
		start := "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "
		c.send(start + strings.Repeat("p", DefaultMaxHeaderBytes-len(start)))
		c.expect("GET", 431, "request header fields too large\n")
		c.closed()
	})
	t.Run("small limit, whole head", func(t *testing.T) {
		t.Parallel()
		ts := serve(t, &Server{MaxHeaderBytes: 1024})
		c := dial(t, ts.addr)
		c.send("GET /small HTTP/1.1\r\nHost: a\r\nX-Pad: " + strings.Repeat("p", 2000) + "\r\n\r\n")
		c.expect("GET", 431, "request header fields too large\n")
		c.closed()
	})
	t.Run("just under the limit", func(t *testing.T) {
		t.Parallel()
		ts := serve(t, &Server{})
		c := dial(t, ts.addr)
		start, end := "GET /small HTTP/1.1\r\nHost: a\r\nX-Pad: ", "\r\n\r\n"
		c.send(start + strings.Repeat("p", DefaultMaxHeaderBytes-len(start)-len(end)) + end)
		c.expect("GET", 200, "small")
		c.open()
	})
}

// TestTimeouts: a client that sends half a head is cut off after
// ReadHeaderTimeout, and so is a new connection that sends nothing (issue
// 9, item 9: it used to be kept for IdleTimeout, 120 s in production); a
// kept-alive connection that sends nothing more is closed after
// IdleTimeout. No response is owed to any. The other timeout is an hour,
// past the client's own deadline, so the wrong one fails the test.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	const timeout, never = 200 * time.Millisecond, time.Hour
	half := dial(t, serve(t, &Server{ReadHeaderTimeout: timeout, IdleTimeout: never}).addr)
	half.send("GET /small HTTP/1.1\r\nHost: a\r\n")
	half.closed()

	silent := dial(t, serve(t, &Server{ReadHeaderTimeout: timeout, IdleTimeout: never}).addr)
	silent.closed()

	idle := dial(t, serve(t, &Server{ReadHeaderTimeout: never, IdleTimeout: timeout}).addr)
	idle.open()
	idle.closed()
}

// logBuffer collects log output, for tests that check what was logged.
type logBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHandlerPanic: a panicking handler costs its connection, nothing of
// its response is sent, the panic is logged (but http.ErrAbortHandler is
// not), and the server goes on serving.
func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	ts := serve(t, &Server{Log: slog.New(slog.NewTextHandler(&logs, nil))})

	c := dial(t, ts.addr)
	c.send("GET /panic HTTP/1.1\r\nHost: a\r\n\r\n")
	c.closed()
	if got := logs.String(); !strings.Contains(got, "handler panic") || !strings.Contains(got, "boom") {
		t.Errorf("log %q does not record the panic", got)
	}

	before := logs.String()
	c = dial(t, ts.addr)
	c.send("GET /abort HTTP/1.1\r\nHost: a\r\n\r\n")
	c.closed()
	if got := logs.String(); got != before {
		t.Errorf("ErrAbortHandler logged: %q", strings.TrimPrefix(got, before))
	}

	dial(t, ts.addr).open()
}

// TestShutdown: Shutdown closes idle connections at once, refuses new
// ones, lets the requests in flight finish on either path (announcing the
// close) and returns nil once every connection is gone.
func TestShutdown(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	mux := testHandler()
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	})
	fastEntered, fastRelease := make(chan struct{}), make(chan struct{})
	fast := func(req *Request, rep *Reply) bool {
		if string(req.Path) == "/fast/block" {
			close(fastEntered)
			<-fastRelease
			req.Path = []byte("/fast")
		}
		return testFast(req, rep)
	}
	ts := serve(t, &Server{Handler: mux, Fast: fast})

	idle := dial(t, ts.addr)
	idle.open()
	busy := dial(t, ts.addr)
	busy.send("GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	busyFast := dial(t, ts.addr)
	busyFast.send("GET /fast/block HTTP/1.1\r\nHost: a\r\n\r\n")
	<-fastEntered

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- ts.Shutdown(ctx)
	}()
	<-ts.served // the listener is closed: Shutdown has begun
	if ts.serveErr != http.ErrServerClosed {
		t.Fatalf("Serve: %v", ts.serveErr)
	}
	idle.closed()
	if nc, err := net.Dial("tcp", ts.addr); err == nil {
		nc.Close()
		t.Error("a new connection was accepted after Shutdown")
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}

	close(release)
	if resp := busy.expect("GET", 200, "done"); !resp.Close {
		t.Error("the handler's last response does not announce the close")
	}
	busy.closed()
	close(fastRelease)
	if resp := busyFast.expect("GET", 200, "fast"); !resp.Close {
		t.Error("the fast handler's last response does not announce the close")
	}
	busyFast.closed()
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestLinger: after Linger, no new connection is accepted, but an idle
// kept-alive one stays open: its next request is answered, on either path,
// announcing the close, and then the connection closes. Shutdown follows.
func TestLinger(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{Fast: testFast})
	idle := dial(t, ts.addr)
	idle.open()
	idleFast := dial(t, ts.addr)
	idleFast.open()

	ts.Linger()
	<-ts.served
	if ts.serveErr != http.ErrServerClosed {
		t.Fatalf("Serve: %v", ts.serveErr)
	}
	if nc, err := net.Dial("tcp", ts.addr); err == nil {
		nc.Close()
		t.Error("a new connection was accepted after Linger")
	}
	idle.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := idle.expect("GET", 200, "small"); !resp.Close {
		t.Error("the handler's response after Linger does not announce the close")
	}
	idle.closed()
	idleFast.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp := idleFast.expect("GET", 200, "fast"); !resp.Close {
		t.Error("the fast path's response after Linger does not announce the close")
	}
	idleFast.closed()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown after Linger: %v", err)
	}
}

// TestShutdownDeadline: when ctx ends first, Shutdown closes what is left
// and returns ctx's error.
func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	mux := testHandler()
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ts := serve(t, &Server{Handler: mux})
	busy := dial(t, ts.addr)
	busy.send("GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.Shutdown(ctx); err != context.Canceled {
		t.Fatalf("Shutdown: %v, want context.Canceled", err)
	}
	busy.closed()
}

// TestResponseSplitting: CR, LF or NUL in a field a handler sets cannot
// add a field or end the head early; the field becomes one line or, with
// a name that is not a token, is dropped.
func TestResponseSplitting(t *testing.T) {
	t.Parallel()
	ts := serve(t, &Server{})
	c := dial(t, ts.addr)
	c.send("GET /split HTTP/1.1\r\nHost: a\r\n\r\n")
	resp := c.expect("GET", 200, "body")
	if v, ok := resp.Header["Set-Cookie"]; ok {
		t.Errorf("a handler's value split the response: Set-Cookie %q", v)
	}
	for _, k := range []string{"X-Crlf", "X-Lf", "X-Cr", "X-Nul"} {
		v := resp.Header.Values(k)
		if len(v) != 1 || strings.ContainsAny(v[0], "\r\n\x00") {
			t.Errorf("%s = %q, want one clean line", k, v)
		}
	}
	c.open()

	h := http.Header{"X-A": {"1\r\n\r\nHTTP/1.1 200 OK"}, "Bad Name": {"2"}}
	if got := string(AppendHead(nil, 200, h)); got != "HTTP/1.1 200 OK\r\nX-A: 1    HTTP/1.1 200 OK\r\n" {
		t.Errorf("AppendHead = %q", got)
	}
}
