package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Run listens on Config.Listen (and MetricsListen), calls ready with the
// bound addresses (so port 0 works; metrics is nil when disabled), and
// serves until ctx is done. Then it drains: /readyz answers 503 "draining"
// while requests are still served for DrainDelay, so load balancers stop
// sending; then the servers shut down, giving in-flight requests up to
// ShutdownTimeout. It returns nil after a clean drain, and an error when a
// listener fails or requests were still running at the deadline (their
// connections are then closed).
//
// Requests do not inherit ctx: its end starts the drain and must not cancel
// the requests the drain lets finish. The background loops (mail outbox,
// session cleanup) keep going through the drain, since requests may still
// place orders, and stop once the servers have shut down.
//
// Run's errors do not name the package: they are the app server's own, and
// the command that prints them names it ("agora app: listen on …").
func (s *Server) Run(ctx context.Context, ready func(public, metrics net.Addr)) error {
	lns, err := s.listen(ctx)
	if err != nil {
		return err
	}
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	waitBackground := s.background(bgCtx)
	defer waitBackground()
	defer stopBackground()
	servers := []*http.Server{s.newHTTPServer(s.handler)}
	if len(lns) > 1 {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.MetricsHandler())
		// Profiles for the operator on call, on the internal listener only:
		// "go tool pprof http://127.0.0.1:9080/debug/pprof/profile?seconds=10" (agora app --listen :8080).
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		servers = append(servers, s.newHTTPServer(mux))
	}
	// Each Serve goroutine sends exactly once into a buffer sized for all,
	// and Run receives every send before returning: none outlives Run.
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	running := len(servers)
	if ready != nil {
		var metrics net.Addr
		if len(lns) > 1 {
			metrics = lns[1].Addr()
		}
		ready(lns[0].Addr(), metrics)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		serveErr = s.drain(servers[0], errc)
	case serveErr = <-errc:
	}
	if serveErr != nil {
		running--
		serveErr = fmt.Errorf("serve: %w", serveErr)
	}
	shutdownErr := s.shutdown(servers)
	for ; running > 0; running-- {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = errors.Join(serveErr, fmt.Errorf("serve: %w", err))
		}
	}
	return errors.Join(serveErr, shutdownErr)
}

// listen binds the public listener and, if configured, the metrics one.
func (s *Server) listen(ctx context.Context) ([]net.Listener, error) {
	var lc net.ListenConfig
	pub, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	if s.cfg.MetricsListen == "" {
		return []net.Listener{pub}, nil
	}
	met, err := lc.Listen(ctx, "tcp", s.cfg.MetricsListen)
	if err != nil {
		pub.Close()
		return nil, fmt.Errorf("listen for metrics on %s: %w", s.cfg.MetricsListen, err)
	}
	return []net.Listener{pub, met}, nil
}

// drain marks the server not ready and keeps serving for DrainDelay. Keep-
// alives are turned off so clients reconnect, and the balancer sends their
// next requests elsewhere. It returns early with the error of a server that
// fails meanwhile (a nil error means the delay passed).
func (s *Server) drain(public *http.Server, errc <-chan error) error {
	s.draining.Store(true)
	s.purges.stop() // edges' long polls end now and reconnect elsewhere
	public.SetKeepAlivesEnabled(false)
	s.log.Info("draining", "delay", s.cfg.DrainDelay.String())
	t := time.NewTimer(s.cfg.DrainDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.endDrain: // nil, so never, outside tests
		return nil
	case err := <-errc:
		return err
	}
}

// shutdown stops every server, public first (metrics stay scrapable while
// it finishes), each with ShutdownTimeout for its in-flight requests.
func (s *Server) shutdown(servers []*http.Server) error {
	var errs []error
	for _, srv := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		err := srv.Shutdown(ctx)
		cancel()
		if err != nil {
			srv.Close()
			errs = append(errs, fmt.Errorf("requests still running after %s were cut off: %w", s.cfg.ShutdownTimeout, err))
		}
	}
	if len(errs) == 0 {
		s.log.Info("stopped")
	}
	return errors.Join(errs...)
}
