package h1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Client is an HTTP/1.1 http.RoundTripper for the edge's backends, cheaper
// per request than http.Transport (issue 10: the Transport's read and
// write goroutines per connection, and their hand-offs on every request,
// were 42% of the edge's CPU on a pass-through request). A round trip runs
// wholly on the caller's goroutine: it writes the request, reads the
// response head with a strict parser, and returns a Response whose Body
// reads from the connection; the connection goes back to a per-backend
// idle pool (LIFO, bounded, with an idle timeout) when the body has been
// read to its end and both sides keep the connection alive.
//
// It speaks plain http only. What it does not handle (https, upgrades,
// request trailers) goes to Fallback. Unlike http.Transport it never adds
// Accept-Encoding: gzip nor decodes a response: the caller gets the bytes
// the backend sent.
//
// The zero value is usable; set fields before the first request.
type Client struct {
	// DialTimeout bounds the TCP connect; 0 means no bound but the
	// request's context.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response head once
	// the request is written; 0 means no bound but the context.
	ResponseHeaderTimeout time.Duration
	// IdleTimeout closes a pooled connection idle for longer; if 0,
	// DefaultClientIdleTimeout.
	IdleTimeout time.Duration
	// MaxIdlePerHost bounds the idle connections kept per backend; if 0,
	// DefaultClientMaxIdlePerHost.
	MaxIdlePerHost int
	// MaxHeaderBytes bounds a response head; if 0, DefaultMaxResponseHeaderBytes.
	MaxHeaderBytes int
	// Dial, if set, makes the connections (tests); else a net.Dialer with
	// DialTimeout and TCP keep-alives.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Fallback takes the requests this client does not speak; if nil they
	// fail.
	Fallback http.RoundTripper

	mu    sync.Mutex               // protects idle, sweep
	idle  map[string][]*clientConn // backend address → idle connections, most recent last
	sweep *time.Timer              // closes expired idle connections; nil when none are idle
	dial  func(context.Context, string, string) (net.Conn, error)
	once  sync.Once
}

// Defaults of Client.
const (
	DefaultClientIdleTimeout      = 90 * time.Second
	DefaultClientMaxIdlePerHost   = 256
	DefaultMaxResponseHeaderBytes = 1 << 20
)

var _ http.RoundTripper = (*Client)(nil)

// staleCheckAfter is the idle time past which a pooled connection is
// checked for a close by the backend before it is used; one busier is
// taken as is (a close then is rare, and the stale retry covers it).
const staleCheckAfter = time.Second

// ErrUnsupported is returned for a request the client does not speak when
// there is no Fallback.
var ErrUnsupported = errors.New("h1: request not supported by the HTTP/1.1 client")

func (c *Client) init() {
	c.once.Do(func() {
		if c.IdleTimeout <= 0 {
			c.IdleTimeout = DefaultClientIdleTimeout
		}
		if c.MaxIdlePerHost <= 0 {
			c.MaxIdlePerHost = DefaultClientMaxIdlePerHost
		}
		if c.MaxHeaderBytes <= 0 {
			c.MaxHeaderBytes = DefaultMaxResponseHeaderBytes
		}
		c.dial = c.Dial
		if c.dial == nil {
			d := &net.Dialer{Timeout: c.DialTimeout, KeepAlive: 30 * time.Second}
			c.dial = d.DialContext
		}
	})
}

// RoundTrip sends req and returns the response head; see Client.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	c.init()
	if !c.speaks(req) {
		if c.Fallback != nil {
			return c.Fallback.RoundTrip(req)
		}
		closeBody(req)
		return nil, ErrUnsupported
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	addr := canonicalAddr(req.URL)
	// A request that cannot be sent again is not risked on a connection
	// the backend may have closed (a draining backend closes its idle
	// ones at once): its connection is checked however briefly it idled.
	cn, err := c.get(ctx, addr, !replayable(req))
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := cn.roundTrip(ctx, req)
	if err != nil && cn.reused && errors.Is(err, errStale) && replayable(req) {
		// The backend closed the idle connection before it got the
		// request: nothing was read, the request may go again, once, on a
		// new connection. Its failure is what the caller sees, so a dial
		// error stays a dial error (balance.Classify: ConnectFailure).
		if req.Body != nil && req.Body != http.NoBody {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, fmt.Errorf("h1: backend closed an idle connection, and the request body could not be read again: %w", gerr)
			}
			r2 := *req
			r2.Body = body
			req = &r2
		}
		cn, err = c.dialConn(ctx, addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err = cn.roundTrip(ctx, req)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return resp, nil
}

// speaks reports whether req is one this client sends itself.
func (c *Client) speaks(req *http.Request) bool {
	if req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" {
		return false
	}
	if req.Method == http.MethodConnect || len(req.Trailer) > 0 {
		return false
	}
	// An upgrade (WebSocket) needs the connection handed over on 101:
	// net/http does that.
	if _, ok := req.Header["Upgrade"]; ok {
		return false
	}
	return true
}

// replayable reports whether req may be sent again after a stale idle
// connection: its body can be had again, and the method is idempotent or
// the request carries an idempotency key (as net/http decides).
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, k1 := req.Header["Idempotency-Key"]
	_, k2 := req.Header["X-Idempotency-Key"]
	return k1 || k2
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// canonicalAddr is host:port of u, the key of the idle pool.
func canonicalAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// get returns an idle connection to addr, or a new one. An idle
// connection is checked for a close by the backend when check is set or it
// idled past staleCheckAfter.
func (c *Client) get(ctx context.Context, addr string, check bool) (*clientConn, error) {
	now := time.Now()
	c.mu.Lock()
	pool := c.idle[addr]
	for len(pool) > 0 {
		cn := pool[len(pool)-1]
		pool[len(pool)-1] = nil
		pool = pool[:len(pool)-1]
		if idle := now.Sub(cn.idleAt); idle < c.IdleTimeout {
			c.idle[addr] = pool
			c.mu.Unlock()
			if (check || idle > staleCheckAfter) && cn.peerClosed() {
				// Closed by the backend while idle (its idle timeout, a
				// restart): found before a request is lost on it.
				cn.nc.Close()
				c.mu.Lock()
				pool = c.idle[addr]
				continue
			}
			cn.reused = true
			return cn, nil
		}
		// The most recent is expired: so are all below it.
		cn.nc.Close()
		for _, old := range pool {
			old.nc.Close()
		}
		clear(pool)
		pool = pool[:0]
	}
	if c.idle != nil {
		c.idle[addr] = pool
	}
	c.mu.Unlock()
	return c.dialConn(ctx, addr)
}

func (c *Client) dialConn(ctx context.Context, addr string) (*clientConn, error) {
	nc, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newConn(c, addr, nc), nil
}

// put returns cn to its idle pool, or closes it when the pool is full.
func (c *Client) put(cn *clientConn) {
	cn.idleAt = time.Now()
	cn.reused = false
	c.mu.Lock()
	if c.idle == nil {
		c.idle = map[string][]*clientConn{}
	}
	pool := c.idle[cn.addr]
	if len(pool) >= c.MaxIdlePerHost {
		c.mu.Unlock()
		cn.nc.Close()
		return
	}
	c.idle[cn.addr] = append(pool, cn)
	if c.sweep == nil {
		c.sweep = time.AfterFunc(c.IdleTimeout, c.sweepIdle)
	}
	c.mu.Unlock()
}

// sweepIdle closes the idle connections past IdleTimeout, so that a
// backend no longer asked does not keep them for ever; it runs again while
// any remain.
func (c *Client) sweepIdle() {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	any := false
	for addr, pool := range c.idle {
		n := 0
		for n < len(pool) && now.Sub(pool[n].idleAt) >= c.IdleTimeout {
			pool[n].nc.Close()
			n++
		}
		if n > 0 {
			rest := copy(pool, pool[n:])
			clear(pool[rest:])
			pool = pool[:rest]
		}
		if len(pool) == 0 {
			delete(c.idle, addr)
			continue
		}
		c.idle[addr] = pool
		any = true
	}
	if any {
		c.sweep.Reset(c.IdleTimeout / 2)
	} else {
		c.sweep = nil
	}
}

// CloseIdleConnections closes the pooled connections (and Fallback's).
func (c *Client) CloseIdleConnections() {
	c.mu.Lock()
	for addr, pool := range c.idle {
		for _, cn := range pool {
			cn.nc.Close()
		}
		delete(c.idle, addr)
	}
	c.mu.Unlock()
	if f, ok := c.Fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// IdleConns is the number of pooled connections to addr (host:port).
func (c *Client) IdleConns(addr string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.idle[addr])
}

// errStale marks a failure on a connection that read nothing of the
// response and wrote nothing the backend can have acted on: the backend
// had closed it (RFC 9112 §9.3.1, a connection closed while idle).
var errStale = errors.New("h1: backend closed the connection")

// staleError wraps the network error of a stale connection; errors.Is
// finds both errStale and the cause (io.EOF, ECONNRESET), so
// balance.Classify sees a reset.
type staleError struct{ err error }

func (e *staleError) Error() string   { return errStale.Error() + ": " + e.err.Error() }
func (e *staleError) Unwrap() []error { return []error{errStale, e.err} }

// isPeerClose reports whether err says the peer closed or reset the
// connection (not a timeout, not a cancellation).
func isPeerClose(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// timeoutError is the response-header timeout: a net.Error whose Timeout
// is true, as net/http's, so balance.Classify counts it a Timeout.
type timeoutError struct{ err error }

func (e *timeoutError) Error() string   { return "h1: timeout awaiting response headers" }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Unwrap() error   { return e.err }

var _ net.Error = (*timeoutError)(nil)
