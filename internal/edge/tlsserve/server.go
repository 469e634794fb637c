package tlsserve

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"agora/internal/edge/h1"
)

// DefaultHandshakeTimeout bounds a TLS handshake from the accept.
const DefaultHandshakeTimeout = 10 * time.Second

// Server serves HTTPS on a listener: it accepts, does each handshake on
// the connection's own goroutine, then hands the connection to H1 or, when
// the client chose "h2" by ALPN, to H2. Both must be set; H2 stays an
// ordinary net/http server (its TLSConfig nil: the handshake is done when
// it gets the connection, and net/http then serves h2 through its
// TLSNextProto), so its limits are its own fields (see NewH2Server).
type Server struct {
	TLSConfig *tls.Config
	H1        *h1.Server
	H2        *http.Server
	// HandshakeTimeout: DefaultHandshakeTimeout if 0.
	HandshakeTimeout time.Duration
	// Log records failed handshakes (at debug: they are the client's); if
	// nil, slog.Default().
	Log *slog.Logger

	initOnce sync.Once
	h1q, h2q *connQueue
	ctx      context.Context // ends at Shutdown: handshakes in progress stop
	cancel   context.CancelFunc
	mu       sync.Mutex // protects lns and h2Done
	lns      []net.Listener
	h2Done   chan error // H2.Shutdown started by Linger, if it ran
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.HandshakeTimeout <= 0 {
			s.HandshakeTimeout = DefaultHandshakeTimeout
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
		s.h1q, s.h2q = newConnQueue(), newConnQueue()
		s.ctx, s.cancel = context.WithCancel(context.Background())
	})
}

// Serve accepts on ln until Shutdown or Linger; it then returns
// http.ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.ctx.Err() != nil || s.h1q.closed() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	s.lns = append(s.lns, ln)
	s.h1q.addr, s.h2q.addr = ln.Addr(), ln.Addr()
	s.mu.Unlock()
	// The two servers take connections from the queues; each returns
	// when its queue closes.
	go s.H1.Serve(s.h1q)
	go s.H2.Serve(s.h2q)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || s.h1q.closed() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		go s.handshake(nc)
	}
}

// handshake runs the TLS handshake on nc and passes the connection on.
func (s *Server) handshake(nc net.Conn) {
	tc := tls.Server(nc, s.TLSConfig)
	ctx, cancel := context.WithTimeout(s.ctx, s.HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.Log.Debug("tls: handshake failed", "peer", nc.RemoteAddr().String(), "err", err)
		tc.Close()
		return
	}
	q := s.h1q
	switch tc.ConnectionState().NegotiatedProtocol {
	case "h2":
		q = s.h2q
	case "acme-tls/1":
		// An ACME CA's TLS-ALPN-01 check: the handshake (the challenge
		// certificate) was all it wanted; it speaks no HTTP here.
		tc.Close()
		return
	}
	if !q.push(tc) {
		tc.Close()
	}
}

// Linger stops accepting; HTTP/1.1 connections close after their next
// response (h1.Server.Linger) and HTTP/2 connections are sent GOAWAY, so
// clients move to whoever accepts on the socket now (an edge upgrade).
// Shutdown follows.
func (s *Server) Linger() {
	s.init()
	s.closeListeners()
	s.H1.Linger()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h2Done == nil {
		s.h2Done = make(chan error, 1)
		go func() { s.h2Done <- s.H2.Shutdown(s.ctx) }()
	}
}

// Shutdown stops accepting and lets both servers finish the requests in
// flight, as h1.Server.Shutdown and http.Server.Shutdown do, within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closeListeners()
	var wg sync.WaitGroup
	var err1, err2 error
	wg.Go(func() { err1 = s.H1.Shutdown(ctx) })
	s.mu.Lock()
	lingered := s.h2Done
	s.mu.Unlock()
	if lingered != nil {
		select {
		case err2 = <-lingered:
		case <-ctx.Done():
			err2 = ctx.Err()
		}
	} else {
		err2 = s.H2.Shutdown(ctx)
	}
	wg.Wait()
	s.cancel()
	if err2 != nil {
		s.H2.Close()
	}
	return errors.Join(err1, err2)
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.lns {
		ln.Close()
	}
	s.h1q.Close()
	s.h2q.Close()
}

// connQueue is a net.Listener whose connections are pushed to it: the
// handshaken connections of one protocol.
type connQueue struct {
	c    chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr // set by Serve before anyone accepts
}

func newConnQueue() *connQueue {
	return &connQueue{c: make(chan net.Conn), done: make(chan struct{})}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.c:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) push(c net.Conn) bool {
	select {
	case q.c <- c:
		return true
	case <-q.done:
		return false
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) closed() bool {
	select {
	case <-q.done:
		return true
	default:
		return false
	}
}

func (q *connQueue) Addr() net.Addr { return q.addr }

var _ net.Listener = (*connQueue)(nil)
