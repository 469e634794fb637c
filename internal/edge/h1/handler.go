package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// maxDrain is how much of a request body the handler left unread is read
// and thrown away to keep the connection; past it the connection closes.
const maxDrain = 256 << 10

// serveHandler runs Handler for c.req and reports whether the connection
// can carry another request.
func (c *conn) serveHandler() bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, body, err := c.httpRequest(ctx)
	if err != nil {
		c.refuse(err)
		return false
	}
	if c.req.Continue && c.req.ContentLength != 0 {
		// The client waits for this before sending its body (RFC 9110
		// §10.1.1); sending it up front is allowed and simpler.
		if _, err := c.nc.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n")); err != nil {
			return false
		}
	}
	if c.req.ContentLength != 0 {
		// The deadline that bounded the wait for the head (IdleTimeout or
		// ReadHeaderTimeout) must not bound the body: ReadTimeout does, or
		// nothing, as in net/http (TestBodyReadNotBoundByHeaderTimeout).
		var d time.Time
		if t := c.srv.ReadTimeout; t > 0 {
			d = time.Now().Add(t)
		}
		c.nc.SetReadDeadline(d)
		c.rdl = d
	}
	if c.bw == nil {
		c.bw = bufio.NewWriterSize(c.nc, 8<<10)
	}
	if t := c.srv.WriteTimeout; t > 0 {
		c.writeBy(time.Now().Add(t))
	}
	// After a chunked body the connection closes (see drain); say so in
	// the response, so a client does not send its next request into it.
	w := &responseWriter{c: c, req: hr, body: body, header: http.Header{}, declared: -1, closeAfter: c.req.Chunked}
	c.armWatch(cancel)
	if c.req.ContentLength == 0 {
		c.startWatch()
	}
	ok := c.runHandler(w, hr)
	c.stopWatch()
	if !ok {
		return false
	}
	if !w.finish() {
		return false
	}
	return body.drain() && !w.closeAfter && !c.req.Close
}

// runHandler calls the handler, turning a panic into a closed connection
// (http.ErrAbortHandler silently, anything else logged), as net/http does.
func (c *conn) runHandler(w http.ResponseWriter, r *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				c.srv.Log.Error("h1: handler panic", "method", r.Method, "path", r.URL.Path, "panic", p)
			}
			ok = false
		}
	}()
	c.srv.Handler.ServeHTTP(w, r)
	return true
}

// httpRequest makes the *http.Request for c.req, as net/http's server
// would have: Host taken out of the header, the URL parsed from the target.
func (c *conn) httpRequest(ctx context.Context) (*http.Request, *bodyReader, error) {
	q := &c.req
	target := string(q.Target)
	if target == "*" && !EqualFold(q.Method, "OPTIONS") {
		return nil, nil, badRequest("* is only a target for OPTIONS")
	}
	if EqualFold(q.Method, "CONNECT") {
		return nil, nil, &parseError{status: 405, msg: "CONNECT is not supported"}
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, nil, badRequest("malformed request target")
	}
	if u.Scheme != "" || u.Host != "" {
		// Absolute form (RFC 9112 §3.2.2): its authority replaces Host, so
		// it must be of this connection's scheme, naming a host and no
		// userinfo (issue 9, item 8).
		scheme := "http"
		if c.tls != nil {
			scheme = "https"
		}
		switch {
		case !strings.EqualFold(u.Scheme, scheme):
			return nil, nil, badRequest("only " + scheme + " targets are served here")
		case u.User != nil:
			return nil, nil, badRequest("userinfo in the request target")
		case u.Host == "":
			return nil, nil, badRequest("no host in the request target")
		}
	}
	h := make(http.Header, len(q.Fields))
	for _, f := range q.Fields {
		k := textproto.CanonicalMIMEHeaderKey(string(f.Name))
		h[k] = append(h[k], string(f.Value))
	}
	host := u.Host
	if host == "" {
		host = string(q.Host)
	}
	delete(h, "Host")
	body := &bodyReader{c: c, remaining: q.ContentLength}
	hr := &http.Request{
		Method:        string(q.Method),
		URL:           u,
		Proto:         "HTTP/1." + string(rune('0'+q.Minor)),
		ProtoMajor:    1,
		ProtoMinor:    q.Minor,
		Header:        h,
		Host:          host,
		RequestURI:    target,
		RemoteAddr:    c.remote,
		ContentLength: q.ContentLength,
		Close:         q.Close,
		Body:          http.NoBody,
		TLS:           c.tls,
	}
	switch {
	case q.Chunked:
		hr.TransferEncoding = []string{"chunked"}
		// The chunked reader buffers past the body, so the connection
		// cannot carry another request after it (see drain).
		body.chunked = httputil.NewChunkedReader(bufio.NewReader(rawReader{c}))
		hr.Body = body
	case q.ContentLength > 0:
		hr.Body = body
	}
	return hr.WithContext(ctx), body, nil
}

// rawReader reads the connection through its read buffer.
type rawReader struct{ c *conn }

func (r rawReader) Read(p []byte) (int, error) {
	c := r.c
	if c.r < c.w {
		n := copy(p, c.rbuf[c.r:c.w])
		c.r += n
		return n, nil
	}
	return c.nc.Read(p)
}

// bodyReader is a request body: Content-Length bytes, or chunked.
type bodyReader struct {
	c         *conn
	remaining int64     // for Content-Length
	chunked   io.Reader // for chunked
	done      bool
}

var errBodyTruncated = errors.New("h1: request body ended early")

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.chunked != nil {
		n, err := b.chunked.Read(p)
		if err == io.EOF {
			b.finished()
		}
		return n, err
	}
	if b.remaining <= 0 {
		b.finished()
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := rawReader{b.c}.Read(p)
	b.remaining -= int64(n)
	if err == io.EOF {
		err = errBodyTruncated
	}
	if b.remaining == 0 && err == nil {
		b.finished()
	}
	return n, err
}

// finished marks the body read; from then on the connection is watched
// for the client leaving (watch.go).
func (b *bodyReader) finished() {
	b.done = true
	b.c.startWatch()
}

func (b *bodyReader) Close() error { return nil }

// undrainable reports whether so much body is left unread that the
// connection will close after the response rather than read it all.
func (b *bodyReader) undrainable() bool {
	return !b.done && b.chunked == nil && b.remaining > maxDrain
}

// drain reads what the handler left of the body so the next request can
// be read, and reports whether the connection can go on.
func (b *bodyReader) drain() bool {
	if b.chunked != nil {
		return false // its buffer may hold bytes of the next request
	}
	if b.done || b.remaining == 0 {
		return true
	}
	if b.remaining > maxDrain {
		return false
	}
	_, err := io.Copy(io.Discard, b)
	return err == nil
}
