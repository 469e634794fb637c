// Package h1 is the edge's HTTP/1.x server. It exists for the cache-hit
// path: net/http's server spends more per request (a header map to fill and
// serialize, a goroutine per read, two flushes per response) than a cache
// hit is worth, which held the edge at about 0.7× nginx (docs/BENCHMARKS.md).
// Here a request head is parsed in place, without allocating, and a
// FastHandler answers hits by appending a pre-serialized head and handing
// over the stored body, written with one writev. Everything else becomes an
// *http.Request for an ordinary http.Handler, so the proxy's full logic is
// shared with net/http servers (TLS and HTTP/2 stay on net/http).
//
// The parser is strict where leniency is dangerous: ambiguous framing
// (Transfer-Encoding with Content-Length, conflicting lengths, codings
// other than chunked), obsolete line folding, whitespace before a colon,
// bare CR, control characters, oversized heads and too many fields are all
// refused with a 4xx/5xx and the connection closed.
package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults for zero Server fields.
const (
	DefaultMaxHeaderBytes    = 32 << 10
	DefaultMaxFields         = 100
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// FastHandler answers a request from memory, or declines by returning
// false without touching rep. It is called only for requests without a
// body; it must not keep req or its bytes after returning.
type FastHandler func(req *Request, rep *Reply) bool

// Reply is a FastHandler's answer: Head holds the status line and header
// fields, each ending in CRLF, without the blank line that ends the head
// (the server adds Connection when it closes); Body is written after it and
// must not be changed afterwards (stored bodies are shared, never copied).
type Reply struct {
	Head []byte
	Body []byte
}

// Server serves HTTP/1.0 and HTTP/1.1 on plain TCP, or on the *tls.Conn
// connections of a listener that has done their handshakes (package
// edge/tlsserve: the TLS state then reaches Request.TLS and the
// http.Request). Set its fields, then call Serve; zero optional fields get
// the defaults above.
type Server struct {
	// Handler serves every request Fast declines. Required.
	Handler http.Handler
	// Fast, if set, is tried first for requests without a body.
	Fast FastHandler

	// ReadHeaderTimeout bounds reading the first request head from the
	// accept, and a later one from its first byte; IdleTimeout, waiting
	// for the next request on a kept-alive connection; ReadTimeout,
	// reading a request body (0: no limit beyond the handler's);
	// WriteTimeout, writing one response (0: none). Caps on connections
	// are the listener's: see Limit.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	// MaxHeaderBytes and MaxFields bound a request head; past them the
	// client gets 431.
	MaxHeaderBytes int
	MaxFields      int
	// Log records handler panics and accept errors; if nil, slog.Default().
	Log *slog.Logger

	initOnce sync.Once
	// mu protects listeners and conns, and orders closing's switch to true
	// (Shutdown) with Serve and newConn registering a listener or a
	// connection, so none is added that Shutdown would not see.
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	// lingering: Linger ran; responses close their connections.
	lingering atomic.Bool
	active    sync.WaitGroup // one per conn in conns, for Shutdown to wait on
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.ReadHeaderTimeout <= 0 {
			s.ReadHeaderTimeout = DefaultReadHeaderTimeout
		}
		if s.IdleTimeout <= 0 {
			s.IdleTimeout = DefaultIdleTimeout
		}
		if s.MaxHeaderBytes <= 0 {
			s.MaxHeaderBytes = DefaultMaxHeaderBytes
		}
		if s.MaxFields <= 0 {
			s.MaxFields = DefaultMaxFields
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
	})
}

// Serve accepts connections on ln until Shutdown; it then returns
// http.ErrServerClosed, like net/http.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || s.lingering.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors or similar: wait, as net/http does,
				// rather than spin or give up the listener.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.Log.Warn("h1: accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections, lets requests in
// flight finish and returns when every connection is closed, or ctx's error
// when it ends first (the remaining connections are then closed).
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closing.Store(true)
	s.mu.Lock()
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.closeIfIdle()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.active.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// Linger stops accepting, and makes every connection close after its next
// response (with "Connection: close"), but, unlike Shutdown, leaves idle
// connections open for their clients' next request. Shutdown follows.
// For an edge that handed its listener to a new process (agora edge,
// SIGUSR2): a kept-alive connection closed at once races a client that
// sends on it just then, and loses that request if it is not one a client
// may retry; lingering a moment moves most clients to the new process
// through a clean close.
func (s *Server) Linger() {
	s.init()
	s.lingering.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		ln.Close()
	}
}

func (s *Server) newConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	raw, closer := unwrap(nc)
	c := &conn{srv: s, nc: raw, closer: closer, rbuf: make([]byte, 4096), remote: nc.RemoteAddr().String()}
	if tc, ok := raw.(*tls.Conn); ok {
		st := tc.ConnectionState() // the handshake is done: see Server
		c.tls = &st
	}
	s.conns[c] = struct{}{}
	s.active.Add(1)
	return c
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.active.Done()
}

// conn is one client connection, served by one goroutine.
type conn struct {
	srv *Server
	nc  net.Conn // read and written directly, closed by Shutdown
	// closer closes nc at the end of serve; for a connection from a
	// Listener it also releases the connection's place within the limits,
	// before the client can see the close.
	closer io.Closer
	remote string
	tls    *tls.ConnectionState // nil on plain TCP

	rbuf []byte // read buffer; rbuf[r:w] is unread
	r, w int

	rdl, wdl time.Time // the deadlines last set (readBy, writeBy)
	kept     bool      // a request head was read: later ones wait IdleTimeout

	req   Request
	rep   Reply
	iov   net.Buffers
	bw    *bufio.Writer // for the handler path, made on first use
	watch watch         // for the client leaving during the handler path
	idle  atomic.Bool   // waiting for a request, nothing buffered
	state sync.Mutex    // protects the idle→busy switch from closeIfIdle: a connection that took a request is never closed as idle
}

// closeIfIdle closes the connection if it is between requests.
func (c *conn) closeIfIdle() {
	c.state.Lock()
	defer c.state.Unlock()
	if c.idle.Load() {
		c.nc.Close()
	}
}

// setIdle marks the connection idle or busy; it reports false when the
// server is shutting down and the connection should close instead.
func (c *conn) setIdle(idle bool) bool {
	c.state.Lock()
	defer c.state.Unlock()
	c.idle.Store(idle)
	return !c.srv.closing.Load()
}

func (c *conn) serve() {
	defer c.srv.forget(c)
	defer c.closer.Close()
	for {
		n, err := c.readHead()
		if err == nil && n > c.srv.MaxHeaderBytes {
			// A head that arrived whole in one read was parsed before
			// readHead could count it (possible when MaxHeaderBytes is
			// below the 4 KiB read buffer).
			err = errTooLarge
		}
		if err != nil {
			c.refuse(err)
			return
		}
		req := &c.req
		req.TLS = c.tls != nil
		head := n
		if f := c.srv.Fast; f != nil && req.ContentLength == 0 {
			c.rep.Head, c.rep.Body = c.rep.Head[:0], nil
			if f(req, &c.rep) {
				c.r += head
				// During Shutdown, announce the close as the handler path
				// does (responseWriter.commit).
				closing := req.Close || c.srv.closing.Load() || c.srv.lingering.Load()
				if !c.writeReply(closing) || closing {
					return
				}
				continue
			}
		}
		c.r += head
		if !c.serveHandler() {
			return
		}
	}
}

// readHead reads until a whole request head is buffered at rbuf[r:] and
// parses it into c.req, returning its length. The first head must be whole
// within ReadHeaderTimeout of the accept: a client that connects and says
// nothing is not owed the idle wait (issue 9, item 9). Between requests
// the connection may wait IdleTimeout; once a head has begun it must be
// whole within ReadHeaderTimeout.
func (c *conn) readHead() (int, error) {
	s := c.srv
	timed := false // the deadline is ReadHeaderTimeout's
	if c.r == c.w {
		c.r, c.w = 0, 0
		if !c.setIdle(true) {
			return 0, errClosing
		}
		if c.kept {
			c.readBy(time.Now().Add(s.IdleTimeout))
		} else {
			c.readBy(time.Now().Add(s.ReadHeaderTimeout))
			timed = true
		}
	} else if n, err := parseHead(c.rbuf[c.r:c.w], &c.req, s.MaxFields); err != errIncomplete {
		return n, err // pipelined: already here
	}
	c.kept = true
	for {
		if !timed && c.w > c.r {
			c.readBy(time.Now().Add(s.ReadHeaderTimeout))
			timed = true
		}
		if c.w == len(c.rbuf) {
			if err := c.makeRoom(); err != nil {
				return 0, err
			}
		}
		was := c.w
		n, err := c.nc.Read(c.rbuf[c.w:])
		if n > 0 && c.idle.Load() && !c.setIdle(false) {
			return 0, errClosing
		}
		c.w += n
		// Parse only once the head's blank line may have arrived, so a
		// head trickling in byte by byte is not parsed again per byte.
		if n > 0 && headEnded(c.rbuf[max(c.r, was-3):c.w]) {
			m, perr := parseHead(c.rbuf[c.r:c.w], &c.req, s.MaxFields)
			if perr != errIncomplete {
				return m, perr
			}
		}
		if c.w-c.r >= s.MaxHeaderBytes {
			return 0, errTooLarge
		}
		if err != nil {
			return 0, err
		}
	}
}

// deadlineSlack is how much earlier than asked a deadline may fall when
// it is not moved. Moving one is a runtime timer update; per request, on
// both directions, that showed in the hit path's tail latency, while
// nobody needs the idle or write timeout to the millisecond.
const deadlineSlack = time.Second

// readBy makes the read deadline d, or leaves the current one if it is
// earlier than d by less than deadlineSlack. A later current deadline is
// always pulled in.
func (c *conn) readBy(d time.Time) {
	if d.Before(c.rdl) || d.Sub(c.rdl) > deadlineSlack {
		c.nc.SetReadDeadline(d)
		c.rdl = d
	}
}

// writeBy is readBy for the write deadline.
func (c *conn) writeBy(d time.Time) {
	if d.Before(c.wdl) || d.Sub(c.wdl) > deadlineSlack {
		c.nc.SetWriteDeadline(d)
		c.wdl = d
	}
}

// headEnded reports whether b contains an empty line, the end of a head.
func headEnded(b []byte) bool {
	for i := 1; i < len(b); i++ {
		if b[i] == '\n' && (b[i-1] == '\n' || (i >= 2 && b[i-1] == '\r' && b[i-2] == '\n')) {
			return true
		}
	}
	return false
}

// makeRoom moves unread bytes to the front of rbuf or grows it, up to
// MaxHeaderBytes.
func (c *conn) makeRoom() error {
	if c.r > 0 {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
		return nil
	}
	if len(c.rbuf) >= c.srv.MaxHeaderBytes {
		return errTooLarge
	}
	grown := make([]byte, min(2*len(c.rbuf), c.srv.MaxHeaderBytes))
	c.w = copy(grown, c.rbuf[c.r:c.w])
	c.r = 0
	c.rbuf = grown
	return nil
}

// writeReply writes the FastHandler's reply with one system call.
func (c *conn) writeReply(closing bool) bool {
	head := c.rep.Head
	switch {
	case closing:
		head = append(head, "Connection: close\r\n"...)
	case c.req.Minor == 0:
		head = append(head, "Connection: keep-alive\r\n"...)
	}
	head = append(head, "\r\n"...)
	c.rep.Head = head
	if t := c.srv.WriteTimeout; t > 0 {
		c.writeBy(time.Now().Add(t))
	}
	var err error
	if len(c.rep.Body) <= 1024 || c.tls != nil && len(c.rep.Body) <= maxTLSCoalesce {
		// One write: on TLS a writev is two writes, each its own records
		// and system call, while copying the body costs less than sealing it.
		c.rep.Head = append(head, c.rep.Body...)
		_, err = c.nc.Write(c.rep.Head)
	} else {
		c.iov = append(c.iov[:0], head, c.rep.Body)
		iov := c.iov // WriteTo consumes its receiver
		_, err = iov.WriteTo(c.nc)
	}
	c.rep.Body = nil
	return err == nil
}

// maxTLSCoalesce is the largest body writeReply copies behind the head on
// a TLS connection to write both at once (bytes).
const maxTLSCoalesce = 64 << 10

var errClosing = errors.New("h1: server shutting down")

// refuse answers a request head that could not be read, when there is one
// to answer, and the connection then closes.
func (c *conn) refuse(err error) {
	var pe *parseError
	if !errors.As(err, &pe) {
		return // EOF, timeout, reset or shutdown: nobody to answer
	}
	// The client's mistake, not the server's: debug, for whoever wonders
	// why a client got a 4xx.
	c.srv.Log.Debug("h1: request refused", "status", pe.status, "reason", pe.msg, "peer", c.remote)
	body := pe.msg + "\n"
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 0, 160)
	b = append(b, "HTTP/1.1 "...)
	b = appendStatusLine(b, pe.status)
	b = append(b, "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: "...)
	b = appendInt(b, int64(len(body)))
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	if _, err := c.nc.Write(b); err != nil {
		return
	}
	c.lingerClose()
}

// lingerClose half-closes the connection and reads what the client is
// still sending for a moment before the close, so the answer is not lost to
// a TCP reset caused by unread data (net/http does the same). Bounded in
// bytes and time.
func (c *conn) lingerClose() {
	tc, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || tc.CloseWrite() != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, c.nc, 256<<10)
}
