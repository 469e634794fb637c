package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// conn is one connection of the Client to a backend: owned by one round
// trip (and then its response body) at a time, or idle in the pool.
type clientConn struct {
	c      *Client
	addr   string
	nc     net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool      // came from the idle pool, for this round trip
	idleAt time.Time // when it went idle; guarded by Client.mu while idle

	mu       sync.Mutex // protects canceled, and orders deadlines against a cancel
	canceled bool       // the round trip's context ended: a past deadline is set

	// The head parser's scratch, reused from response to response.
	vals []byte    // the field values of one head, back to back
	recs []headRec // each field: its canonical name and value's span
	long []byte    // a head line longer than br's buffer
}

type headRec struct {
	key        string
	start, end int
}

func newConn(c *Client, addr string, nc net.Conn) *clientConn {
	return &clientConn{c: c, addr: addr, nc: nc, br: bufio.NewReaderSize(nc, 8<<10), bw: bufio.NewWriterSize(nc, 4<<10)}
}

// cancel runs (in its own goroutine, from context.AfterFunc) when the
// round trip's context ends: the deadline in the past ends the read or
// write under way and every later one.
func (cn *clientConn) cancel() {
	cn.mu.Lock()
	cn.canceled = true
	cn.nc.SetDeadline(aLongTimeAgo)
	cn.mu.Unlock()
}

// setReadDeadline sets t unless a cancel came first.
func (cn *clientConn) setReadDeadline(t time.Time) {
	cn.mu.Lock()
	if !cn.canceled {
		cn.nc.SetReadDeadline(t)
	}
	cn.mu.Unlock()
}

// roundTrip writes req and reads its response head; on failure the
// connection is closed.
func (cn *clientConn) roundTrip(ctx context.Context, req *http.Request) (*http.Response, error) {
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, cn.cancel)
	}
	reqClose, err := cn.writeRequest(req)
	if err != nil {
		var be *bodyReadError
		if cn.reused && !errors.As(err, &be) && isPeerClose(err) {
			err = &staleError{err}
		}
		return cn.fail(stop, err)
	}
	if t := cn.c.ResponseHeaderTimeout; t > 0 {
		cn.setReadDeadline(time.Now().Add(t))
	}
	var resp *http.Response
	for first := true; ; first = false {
		var read bool
		resp, read, err = cn.readHead(req)
		if err != nil {
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded) && !cn.isCanceled():
				err = &timeoutError{err}
			case first && !read && cn.reused && isPeerClose(err):
				err = &staleError{err}
			case isPeerClose(err):
				err = fmt.Errorf("h1: backend closed the connection before its response head: %w", err)
			}
			return cn.fail(stop, err)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return cn.fail(stop, errors.New("h1: backend switched protocols, which this client does not do"))
		}
		if resp.StatusCode >= 200 {
			break
		}
		// 1xx: informational, another head follows (RFC 9110 §15.2).
	}
	if cn.c.ResponseHeaderTimeout > 0 {
		cn.setReadDeadline(time.Time{})
	}
	b, err := cn.frame(resp, req.Method)
	if err != nil {
		return cn.fail(stop, err)
	}
	b.keep = b.keep && !reqClose
	b.cn, b.stop, b.ctx = cn, stop, ctx
	if b.mode == modeNone {
		resp.Body = http.NoBody
		b.finish(true)
		return resp, nil
	}
	resp.Body = b
	return resp, nil
}

// fail ends a round trip that got no response: the connection is closed.
func (cn *clientConn) fail(stop func() bool, err error) (*http.Response, error) {
	if stop != nil {
		stop()
	}
	cn.nc.Close()
	return nil, err
}

func (cn *clientConn) isCanceled() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.canceled
}

// bodyReadError is the request body failing while it is sent: the
// caller's, not the connection's.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "h1: reading the request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// writeRequest writes req's head and body and closes its body (as a
// RoundTripper must). reqClose: the request asked to close the connection.
func (cn *clientConn) writeRequest(req *http.Request) (reqClose bool, err error) {
	body := req.Body
	if body != nil {
		defer body.Close()
	}
	if body == http.NoBody {
		body = nil
	}
	bw := cn.bw
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !isTokenString(method) {
		return false, fmt.Errorf("h1: invalid method %q", method)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validHost([]byte(host)) {
		return false, fmt.Errorf("h1: invalid Host %q", host)
	}
	bw.WriteString(method)
	bw.WriteByte(' ')
	if err := writeTarget(bw, req.URL); err != nil {
		return false, err
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	if v, ok := req.Header["User-Agent"]; !ok {
		bw.WriteString("User-Agent: Go-http-client/1.1\r\n")
	} else if len(v) > 0 && v[0] != "" {
		if err := writeField(bw, "User-Agent", v[0]); err != nil {
			return false, err
		}
	}
	cl := req.ContentLength
	chunked := false
	switch {
	case body == nil && cl > 0:
		return false, fmt.Errorf("h1: ContentLength=%d with no body", cl)
	case body == nil:
		if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
			bw.WriteString("Content-Length: 0\r\n")
		}
	case cl > 0:
		var a [24]byte
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(a[:0], cl, 10))
		bw.WriteString("\r\n")
	default:
		chunked = true
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	reqClose = req.Close || hasToken(req.Header["Connection"], "close")
	if req.Close && !hasToken(req.Header["Connection"], "close") {
		bw.WriteString("Connection: close\r\n")
	}
	for k, vv := range req.Header {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue // written above, or framing this client decides
		}
		for _, v := range vv {
			if err := writeField(bw, k, v); err != nil {
				return false, err
			}
		}
	}
	bw.WriteString("\r\n")
	switch {
	case chunked:
		if err := writeChunked(bw, body); err != nil {
			return false, err
		}
	case body != nil:
		n, err := io.CopyN(bw, taggedReader{body}, cl)
		if errors.Is(err, io.EOF) {
			return false, &bodyReadError{fmt.Errorf("%d bytes, less than its Content-Length %d", n, cl)}
		}
		if err != nil {
			return false, err
		}
	}
	return reqClose, bw.Flush()
}

// taggedReader tells the request body's failures from the connection's.
type taggedReader struct{ r io.Reader }

func (t taggedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyReadError{err}
	}
	return n, err
}

// writeChunked sends body in the chunked coding (RFC 9112 §7.1).
func writeChunked(bw *bufio.Writer, body io.Reader) error {
	var buf [8 << 10]byte
	var a [16]byte
	for {
		n, err := body.Read(buf[:])
		if n > 0 {
			bw.Write(strconv.AppendInt(a[:0], int64(n), 16))
			bw.WriteString("\r\n")
			bw.Write(buf[:n])
			if _, werr := bw.WriteString("\r\n"); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return &bodyReadError{err}
		}
	}
	_, err := bw.WriteString("0\r\n\r\n")
	return err
}

// writeTarget writes the origin-form request target of u.
func writeTarget(bw *bufio.Writer, u *url.URL) error {
	var t string
	if u.Opaque != "" {
		t = u.RequestURI()
	} else {
		t = u.EscapedPath()
		if t == "" {
			t = "/"
		}
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] == 0x7f {
			return fmt.Errorf("h1: invalid request target %q", t)
		}
	}
	bw.WriteString(t)
	if u.Opaque == "" && (u.ForceQuery || u.RawQuery != "") {
		q := u.RawQuery
		for i := 0; i < len(q); i++ {
			if q[i] <= ' ' || q[i] == 0x7f {
				return fmt.Errorf("h1: invalid query %q", q)
			}
		}
		bw.WriteByte('?')
		bw.WriteString(q)
	}
	return nil
}

// writeField writes "k: v", v trimmed, refusing what would split the
// head (as net/http: no control characters but tab).
func writeField(bw *bufio.Writer, k, v string) error {
	if !isTokenString(k) {
		return fmt.Errorf("h1: invalid header field name %q", k)
	}
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("h1: invalid header field value for %q", k)
		}
	}
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
	return nil
}

func isTokenString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated lists vv hold token t
// (ASCII case-insensitive).
func hasToken(vv []string, t string) bool {
	for _, v := range vv {
		for len(v) > 0 {
			var e string
			if i := indexByte(v, ','); i >= 0 {
				e, v = v[:i], v[i+1:]
			} else {
				e, v = v, ""
			}
			for len(e) > 0 && (e[0] == ' ' || e[0] == '\t') {
				e = e[1:]
			}
			for len(e) > 0 && (e[len(e)-1] == ' ' || e[len(e)-1] == '\t') {
				e = e[:len(e)-1]
			}
			if equalFold(e, t) {
				return true
			}
		}
	}
	return false
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
