package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"agora/internal/edge"
)

// serveUpEdge serves e on --listen and its admin API on --admin-listen until
// ctx ends, then stops taking requests and lets those in flight finish.
// It logs "serving" with the public URL: for people, and for scripts
// waiting for the store to be up.
func serveUpEdge(ctx context.Context, env *cmdEnv, e *edge.Edge, f upFlags) error {
	servers := []*http.Server{newEdgeServer(e)}
	addrs := []string{f.listen}
	if f.adminListen != "" {
		servers = append(servers, newEdgeServer(e.AdminHandler(f.clusterSecret)))
		addrs = append(addrs, f.adminListen)
	}
	lns := make([]net.Listener, 0, len(addrs))
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("up: edge: %w", err)
		}
		lns = append(lns, ln)
	}
	fctx, stopFollower := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.Follower.Run(fctx) })
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(lns[i]) }()
	}
	attrs := []any{"url", "http://" + hostPort(lns[0].Addr()), "app", e.Backends[0].String()}
	if len(lns) > 1 {
		attrs = append(attrs, "admin", "http://"+lns[1].Addr().String()+"/_agora/status")
	}
	env.log.Info("serving", attrs...)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("up: edge: requests still running after %s were cut off: %w", f.shutdownTimeout, err))
		}
	}
	stopFollower()
	wg.Wait()
	e.Wait()
	return errors.Join(errs...)
}
