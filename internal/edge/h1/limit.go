package h1

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for `agora edge --max-conns` and `--max-conns-per-ip`.
const (
	DefaultMaxConns          = 10000
	DefaultMaxConnsPerClient = 256
)

// maxRefusing bounds the refusals being written at once; past it a
// refused connection is closed without a word, so a flood of connections
// costs no more goroutines than that.
const maxRefusing = 64

// refusalTimeout bounds writing a refusal and reading what the client
// sent meanwhile (see refuse).
const refusalTimeout = 500 * time.Millisecond

// Limits caps the connections a listener hands out: overall, and per
// client address, so neither a crowd nor one client holding connections
// open (slowloris) can take every file descriptor (issue 9, item 9). Its
// zero value sets no limit.
type Limits struct {
	// Max caps the open connections; 0: no cap.
	Max int
	// PerClient caps the open connections of one client address: the TCP
	// peer, before any forwarding field is believed; IPv6 peers count by
	// their /64, which one host usually holds whole. 0: no cap.
	PerClient int
	// Exempt, if set, reports peers PerClient does not apply to: trusted
	// proxies, which carry many clients' connections.
	Exempt func(netip.Addr) bool
	// Log records refusals at debug level; if nil, slog.Default().
	Log *slog.Logger
}

// Listener is a net.Listener that keeps to Limits. A connection over a
// limit is refused as it is accepted, with a short 503 and Retry-After,
// and never reaches the server; net/http's and this package's servers
// both serve from it. Its Conns are released when closed.
type Listener struct {
	net.Listener
	lim Limits

	mu      sync.Mutex // protects open and clients
	open    int
	clients map[netip.Addr]int

	refusedMax, refusedClient atomic.Uint64
	refusing                  chan struct{} // a slot per refusal being written
	refusals                  sync.WaitGroup
}

// Limit wraps ln to keep to lim.
func Limit(ln net.Listener, lim Limits) *Listener {
	if lim.Log == nil {
		lim.Log = slog.Default()
	}
	return &Listener{Listener: ln, lim: lim, clients: map[netip.Addr]int{}, refusing: make(chan struct{}, maxRefusing)}
}

// Accept returns the next connection within the limits, refusing those
// over them.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := clientKey(nc.RemoteAddr())
		if reason := l.admit(key); reason != "" {
			l.refuse(nc, reason)
			continue
		}
		return &limitedConn{Conn: nc, l: l, key: key}, nil
	}
}

// Close closes the listener and waits for the refusals being written
// (each bounded by refusalTimeout).
func (l *Listener) Close() error {
	err := l.Listener.Close()
	l.refusals.Wait()
	return err
}

// Open is the number of connections open now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Refused counts the connections refused: over Max, over PerClient.
func (l *Listener) Refused() (overall, perClient uint64) {
	return l.refusedMax.Load(), l.refusedClient.Load()
}

// clientKey is the address a connection counts against: the peer's, its
// /64 for IPv6.
func clientKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr().Unmap()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr().Unmap()
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip
}

// admit counts a new connection from key in, or says why not.
func (l *Listener) admit(key netip.Addr) string {
	exempt := l.lim.Exempt != nil && l.lim.Exempt(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.Max > 0 && l.open >= l.lim.Max {
		l.refusedMax.Add(1)
		return "max-conns"
	}
	if !exempt && l.lim.PerClient > 0 && l.clients[key] >= l.lim.PerClient {
		l.refusedClient.Add(1)
		return "max-conns-per-ip"
	}
	l.open++
	l.clients[key]++
	return ""
}

func (l *Listener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.clients[key]--; l.clients[key] <= 0 {
		delete(l.clients, key)
	}
}

var refusal = func() []byte {
	body := "too many connections; try again in a moment\n"
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Retry-After: 5\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}()

// refuse answers nc with a 503 before closing it, so a browser or a load
// balancer knows to retry rather than seeing a reset. It half-closes and
// reads what the client sent meanwhile, or closing with unread data would
// reset the connection and lose the answer (as lingerClose).
func (l *Listener) refuse(nc net.Conn, reason string) {
	l.lim.Log.Debug("h1: connection refused", "peer", nc.RemoteAddr().String(), "reason", reason)
	select {
	case l.refusing <- struct{}{}:
	default:
		nc.Close()
		return
	}
	l.refusals.Add(1)
	go func() {
		defer l.refusals.Done()
		defer func() { <-l.refusing }()
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(refusalTimeout))
		if _, err := nc.Write(refusal); err != nil {
			return
		}
		if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			_, _ = io.CopyN(io.Discard, nc, 64<<10)
		}
	}()
}

// limitedConn is a connection that counts against its Listener's limits
// until it is closed or half-closed (a server half-closes only when it is
// done with the connection; net/http then waits a moment before closing).
type limitedConn struct {
	net.Conn
	l        *Listener
	key      netip.Addr
	released atomic.Bool
}

func (c *limitedConn) releaseOnce() {
	if c.released.CompareAndSwap(false, true) {
		c.l.release(c.key)
	}
}

func (c *limitedConn) Close() error {
	c.releaseOnce()
	return c.Conn.Close()
}

// CloseWrite keeps the half-close net/http and this package's server use
// to end a connection gracefully.
func (c *limitedConn) CloseWrite() error {
	c.releaseOnce()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// unwrap returns the connection under a limitedConn, which this package's
// server reads and writes directly (net.Buffers writes with one writev only
// to a *net.TCPConn), and the Closer that releases its slot.
func unwrap(nc net.Conn) (net.Conn, io.Closer) {
	if lc, ok := nc.(*limitedConn); ok {
		return lc.Conn, lc
	}
	return nc, nc
}
