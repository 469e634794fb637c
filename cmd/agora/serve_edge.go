package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quic-go/quic-go/http3"

	"agora/internal/edge"
	"agora/internal/edge/h1"
	"agora/internal/edge/purgelog"
	"agora/internal/edge/tlsserve"
)

// edgeServe is how `agora edge` and `agora up` serve an Edge.
type edgeServe struct {
	listen, adminListen, secret string
	shutdownTimeout             time.Duration
	// netHTTP serves the public listener with net/http instead of the
	// edge's own HTTP/1.1 server (no fast hit path): for comparison.
	netHTTP bool
	// maxConns and maxConnsPerIP cap the public listener's connections
	// (0: no cap); trusted proxies are exempt from the per-IP cap.
	maxConns, maxConnsPerIP int
	// maxBackgroundFetches is the edge's MaxBackgroundFetches.
	maxBackgroundFetches int
	// edgeName names the edge to the app tier in its heartbeats ("":
	// the host name and the public listener's address); heartbeat is
	// their interval (0: purgelog.DefaultHeartbeat).
	edgeName  string
	heartbeat time.Duration
	// rateLimits are the per-client limits by route class.
	rateLimits rateLimitFlags
	// ready is logged with the public URL once listening: "serving" for
	// people, and for scripts waiting for the store to be up.
	ready string
	attrs []any
	// onServing, if set, is called just before ready is logged (agora up
	// prints the way into the admin).
	onServing func()
	// inherited, if set, are the sockets of an upgrade, taken by the
	// caller (agora up, before it starts children); else serveEdge takes
	// them.
	inherited *inherited
	// tls, if set, makes the public listener HTTPS (tlsflags.go).
	tls *edgeTLS
	// pops are more edges this process serves (agora up --edges), each
	// on its own public listener (named pop-2, pop-3… for an upgrade),
	// with its own follower and heartbeat; the admin API is e's.
	pops []popServe
}

// popServe is one more PoP of agora up --edges.
type popServe struct {
	e      *edge.Edge
	listen string
	// shielded PoPs' backend is the first edge (agora up --shield): their
	// pool gets its public address once it is bound.
	shielded bool
}

// server is what both HTTP servers offer.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// serveEdge serves e on the public listener and its admin API on the admin
// listener until ctx ends, runs e.Follower if set, then stops taking
// requests and lets those in flight finish within the shutdown timeout.
func serveEdge(ctx context.Context, env *cmdEnv, e *edge.Edge, o edgeServe) error {
	edges := []*edge.Edge{e}
	for _, p := range o.pops {
		edges = append(edges, p.e)
	}
	for _, e := range edges {
		e.MaxBackgroundFetches = o.maxBackgroundFetches // before AdminHandler sets e up
		if e.RateLimit == nil {                         // agora up sets it itself
			e.RateLimit = o.rateLimits.limiter(env, e, o.secret)
		}
	}
	// The listeners, by the names an upgrade hands them on under:
	// public, then admin and the plain-HTTP redirect when asked for.
	servers := []server{nil} // the public server once its port is known (Alt-Svc names it)
	addrs := []string{o.listen}
	names := []string{"public"}
	if o.adminListen != "" {
		servers = append(servers, newEdgeServer(e.AdminHandler(o.secret)))
		addrs = append(addrs, o.adminListen)
		names = append(names, "admin")
	}
	if o.tls != nil && o.tls.httpListen != "" {
		servers = append(servers, newEdgeServer(nil)) // its handler once the public port is known
		addrs = append(addrs, o.tls.httpListen)
		names = append(names, "http")
	}
	for i, p := range o.pops {
		servers = append(servers, publicServer(env, p.e, o))
		addrs = append(addrs, p.listen)
		names = append(names, fmt.Sprintf("pop-%d", i+2))
	}
	// publics[i] is the index of edges[i]'s public listener.
	publics := []int{0}
	for i := range o.pops {
		publics = append(publics, len(names)-len(o.pops)+i)
	}
	// A process started by an edge upgrade serves the old one's sockets.
	inh := o.inherited
	if inh == nil {
		in, err := takeInherited()
		if err != nil {
			return err
		}
		inh = &in
	}
	for name, ln := range inh.listeners {
		if !slices.Contains(names, name) {
			ln.Close() // this process was started without it
		}
	}
	lns := make([]net.Listener, 0, len(addrs))
	for i, a := range addrs {
		ln, err := listenOr(inh.listeners[names[i]], a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err // "listen tcp …": Main names the command
		}
		lns = append(lns, ln)
	}
	if i := slices.Index(names, "http"); i >= 0 {
		_, port, _ := net.SplitHostPort(lns[0].Addr().String())
		servers[i].(*http.Server).Handler = redirectHandler(o, port)
	}
	for _, p := range o.pops {
		if p.shielded {
			p.e.Pool.Set([]*url.URL{{Scheme: "http", Host: dialAddr(lns[0].Addr())}})
		}
	}
	raw := slices.Clone(lns) // the sockets an upgrade hands on
	var h3 *http3.Server
	var h3Conn *net.UDPConn
	if o.tls != nil && o.tls.http3 {
		var err error
		if h3Conn, err = listenUDPOr(inh.h3, lns[0].Addr()); err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		defer h3Conn.Close()
		t := *o.tls
		t.fields = t.fields.With("Alt-Svc", tlsserve.AltSvc(lns[0].Addr().(*net.TCPAddr).Port))
		o.tls = &t
		h3 = tlsserve.NewH3Server(o.tls.fields.Handler(e), o.tls.config, env.log)
	} else if inh.h3 != nil {
		inh.h3.Close() // this process was started without --http3
	}
	servers[0] = publicServer(env, e, o)
	// The public listener is capped, whichever server serves it; the admin
	// listener is private and is not.
	for i, e := range edges {
		j := publics[i]
		e.Conns = h1.Limit(lns[j], h1.Limits{
			Max: o.maxConns, PerClient: o.maxConnsPerIP, Exempt: e.TrustedProxies.Contains, Log: env.log,
		})
		lns[j] = e.Conns
	}
	fctx, stopFollower := context.WithCancel(context.Background())
	defer stopFollower()
	if o.tls != nil && o.tls.acme != nil {
		// Started once the listeners are bound, so certmagic finds the
		// ports taken (ours) and opens no challenge listener of its own.
		var httpAddr net.Addr
		if i := slices.Index(names, "http"); i >= 0 {
			httpAddr = lns[i].Addr()
		}
		stopACME, err := o.tls.acme.start(fctx, env, e, o.secret, lns[0].Addr(), httpAddr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		defer stopACME()
	}
	var wg sync.WaitGroup
	for i, e := range edges {
		if e.Follower != nil {
			wg.Go(func() { e.Follower.Run(fctx) })
			e.Heartbeat = &purgelog.Heartbeat{Follower: e.Follower, Started: time.Now(), Every: o.heartbeat, Log: e.Log}
			if i == 0 {
				e.Heartbeat.Name = o.edgeName
			}
			if e.Heartbeat.Name == "" {
				e.Heartbeat.Name = defaultEdgeName(lns[publics[i]].Addr())
			}
			wg.Go(func() { e.Heartbeat.Run(fctx) })
		}
		if e.RateLimit != nil {
			wg.Go(func() { e.RateLimit.Run(fctx) }) // syncs with the other edges, drops idle buckets
		}
	}
	if o.adminListen != "" {
		wg.Go(func() { e.RecordHistory(fctx) }) // the status page's plots, for as long as it is served
	}
	if o.tls != nil && o.tls.run != nil {
		wg.Go(func() { o.tls.run(fctx) })
	}
	if inh.ready != nil {
		awaitBackend(ctx, e) // the old process serves meanwhile
	}
	awaitPurgeLog(ctx, edges)
	errc := make(chan error, len(servers)+1)
	for i, s := range servers {
		go func() { errc <- s.Serve(lns[i]) }()
	}
	if h3 != nil {
		go func() { errc <- h3.Serve(h3Conn) }()
	}
	if o.onServing != nil {
		o.onServing()
	}
	scheme := "http://"
	if o.tls != nil {
		scheme = "https://"
	}
	attrs := append([]any{"url", scheme + hostPort(lns[0].Addr()), "trusted_proxies", e.TrustedProxies.String()}, o.attrs...)
	if len(o.pops) > 0 {
		var urls []string
		for _, j := range publics {
			urls = append(urls, scheme+hostPort(lns[j].Addr()))
		}
		attrs = append(attrs, "pops", strings.Join(urls, " "))
	}
	for i, name := range names {
		switch name {
		case "admin":
			attrs = append(attrs, "admin", "http://"+lns[i].Addr().String()+"/_agora/")
		case "http":
			attrs = append(attrs, "http_redirect", lns[i].Addr().String())
		}
	}
	if h3 != nil {
		attrs = append(attrs, "http3", "udp/"+h3Conn.LocalAddr().String())
	}
	if inh.ready != nil {
		attrs = append(attrs, "upgraded", true, "pid", os.Getpid())
	}
	env.log.Info(o.ready, attrs...)
	if inh.ready != nil {
		_, _ = io.WriteString(inh.ready, "ready\n") // the old process stops accepting now
		inh.ready.Close()
	}
	handedOver, stopUpgrades := watchUpgrades(env, raw, names, h3Conn)
	defer stopUpgrades()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	case <-handedOver:
		if h3 != nil {
			// Both processes now read the one UDP socket, and a QUIC
			// connection lives in one of them: stop reading at once. The
			// connections this process held end (CONNECTION_CLOSE); their
			// clients reconnect, to the new process, or over HTTP/2.
			h3.Close()
		}
		linger(ctx, servers)
	}
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	shutdowns := make([]func(context.Context) error, 0, len(servers)+1)
	for _, s := range servers {
		shutdowns = append(shutdowns, s.Shutdown)
	}
	if h3 != nil {
		shutdowns = append(shutdowns, h3.Shutdown)
	}
	for _, shutdown := range shutdowns {
		if err := shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("requests at the edge still running after %s were cut off: %w", o.shutdownTimeout, err))
		}
	}
	stopFollower()
	wg.Wait()
	for _, e := range edges {
		e.Wait()
	}
	return errors.Join(errs...)
}

// defaultEdgeName is the host name and the port the edge serves on
// ("shop-eu-1:8080"), or the host name and the whole address when it
// listens on one address only ("shop-eu-1/127.0.0.1:8080"): stable across
// restarts, distinct for several edges on one machine.
func defaultEdgeName(addr net.Addr) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "edge"
	}
	ip, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return host + "/" + addr.String()
	}
	if a := net.ParseIP(ip); a != nil && a.IsUnspecified() {
		return host + ":" + port
	}
	return host + "/" + addr.String()
}

// handoverLinger is how long an edge that handed its listeners over keeps
// its idle kept-alive connections open (each closes after its next
// response) before its Shutdown closes those left: most clients move to
// the new process through a clean close rather than racing a close of an
// idle connection with their next request.
const handoverLinger = 2 * time.Second

// linger lets the servers that can (h1) stop accepting but keep their
// idle connections for handoverLinger, or until ctx ends (SIGTERM).
func linger(ctx context.Context, servers []server) {
	n := 0
	for _, s := range servers {
		if l, ok := s.(interface{ Linger() }); ok {
			l.Linger()
			n++
		}
	}
	if n == 0 {
		return
	}
	t := time.NewTimer(handoverLinger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// watchUpgrades hands raw (the listeners: public, then admin) to a new
// process on SIGUSR2 and closes handedOver once it serves on them.
// A failed upgrade is logged and this process keeps serving.
func watchUpgrades(env *cmdEnv, raw []net.Listener, names []string, h3 *net.UDPConn) (handedOver <-chan struct{}, stop func()) {
	done := make(chan struct{})
	over := make(chan struct{})
	usr2 := make(chan os.Signal, 1)
	signal.Notify(usr2, syscall.SIGUSR2)
	exe, exeErr := os.Executable()
	var listening []string
	for _, ln := range raw {
		listening = append(listening, ln.Addr().String())
	}
	go func() {
		for {
			select {
			case <-done:
				return
			case <-usr2:
			}
			if exeErr != nil {
				env.log.Error("edge upgrade failed: cannot find this binary; this process keeps serving", "err", exeErr)
				continue
			}
			env.log.Info("SIGUSR2: upgrading the edge: handing the listeners to a new process", "listen", listening)
			pid, err := handOver(env, exe, raw, names, h3)
			if err != nil {
				env.log.Error("edge upgrade FAILED: the new process did not serve; this process keeps serving", "pid", pid, "err", err)
				continue
			}
			env.log.Info("edge upgrade: the new process serves; this one stops accepting and drains", "new_pid", pid)
			close(over)
			return
		}
	}()
	return over, func() {
		signal.Stop(usr2)
		close(done)
	}
}

// publicServer is the edge's own HTTP/1.1 server with the fast hit path
// (internal/edge/h1), or net/http when asked; with TLS, tlsserve in front
// of h1 and net/http's HTTP/2. All have explicit timeouts: slow clients
// must not hold connections forever. All give a new connection
// ReadHeaderTimeout, not IdleTimeout, to send its first request.
func publicServer(env *cmdEnv, e *edge.Edge, o edgeServe) server {
	if o.tls != nil {
		h := o.tls.fields.Handler(e)
		if o.netHTTP {
			s := newEdgeServer(h)
			s.TLSConfig = o.tls.config
			return tlsListenerServer{s}
		}
		h1s := newH1Server(env, h, o.tls.fields.Fast(e.ServeFast))
		return &tlsserve.Server{TLSConfig: o.tls.config, H1: h1s, H2: tlsserve.NewH2Server(h, env.log), Log: env.log}
	}
	if o.netHTTP {
		return newEdgeServer(e)
	}
	return newH1Server(env, e, e.ServeFast)
}

// newH1Server is the edge's HTTP/1.1 server with the public timeouts.
func newH1Server(env *cmdEnv, h http.Handler, fast h1.FastHandler) *h1.Server {
	return &h1.Server{
		Handler:           h,
		Fast:              fast,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		Log:               env.log,
	}
}

// newEdgeServer is a net/http server with the same timeouts, and h1's
// bound on a request head (net/http's default is 1 MiB, which a capped
// crowd of slow connections could each hold).
func newEdgeServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    h1.DefaultMaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// tlsListenerServer is net/http serving HTTPS itself (--net-http with
// TLS): for comparison only, without the fast hit path.
type tlsListenerServer struct{ *http.Server }

func (s tlsListenerServer) Serve(ln net.Listener) error { return s.Server.ServeTLS(ln, "", "") }

// redirectHandler is the plain-HTTP listener's: to https on the public
// listener's port, ACME's challenge answers first when set.
func redirectHandler(o edgeServe, port string) http.Handler {
	h := tlsserve.Redirect(port)
	if o.tls.wrapHTTP != nil {
		h = o.tls.wrapHTTP(h)
	}
	return h
}

// listenUDPOr is the inherited UDP socket if there is one, else a new one
// on the address (and so the port) the public TCP listener took.
func listenUDPOr(pc net.PacketConn, tcp net.Addr) (*net.UDPConn, error) {
	if pc != nil {
		if c, ok := pc.(*net.UDPConn); ok {
			return c, nil
		}
		pc.Close()
		return nil, fmt.Errorf("the inherited h3 socket is not a UDP socket")
	}
	a := tcp.(*net.TCPAddr)
	return net.ListenUDP("udp", &net.UDPAddr{IP: a.IP, Port: a.Port, Zone: a.Zone})
}

// purgeLogWait bounds a starting edge's wait for its purge log follower's
// first answer.
const purgeLogWait = 2 * time.Second

// awaitPurgeLog waits, at most purgeLogWait, until each edge's follower
// has had its first answer from the app tier (or failed to get one): its
// first answer drops whatever was cached before it (ResetAtHead), so an
// edge that served at once would lose the first pages it cached.
func awaitPurgeLog(ctx context.Context, edges []*edge.Edge) {
	t := time.NewTimer(purgeLogWait)
	defer t.Stop()
	for _, e := range edges {
		if e.Follower == nil {
			continue
		}
		select {
		case <-e.Follower.Tried():
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// dialAddr is an address this machine can reach a listener bound to a
// at: its loopback one when a is a wildcard address.
func dialAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	switch ip := net.ParseIP(host); {
	case ip == nil || !ip.IsUnspecified():
	case ip.To4() != nil:
		host = "127.0.0.1"
	default:
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
