package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/cache"
	"agora/internal/edge/purgelog"
)

func edgeCommand() *command {
	var listen, adminListen, backends, cacheSize, secret string
	var shutdownTimeout time.Duration
	return &command{
		name:    "edge",
		summary: "run the caching reverse proxy in front of the app tier",
		usage: `Serves the store's pages from a memory-bounded cache and forwards the rest
to the app servers given by --backends, round robin. Stores only what HTTP
says is storable (never pages with Set-Cookie, private or no-store, nor
answers to requests with Authorization), coalesces concurrent misses, serves
stale pages within stale-while-revalidate and, while the app tier fails,
within stale-if-error. Follows the app tier's purge log so purges by tag
reach it within a second. The admin API (status, purge) listens on
--admin-listen; keep it off the public network. On SIGTERM it stops
accepting, then gives in-flight requests --shutdown-timeout to finish.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&listen, "listen", ":8080", "public address (host:port)")
			fs.StringVar(&adminListen, "admin-listen", "127.0.0.1:8081", "admin API address: GET /_agora/status, POST /_agora/purge (empty disables)")
			fs.StringVar(&backends, "backends", "", "app servers, comma separated: http://10.0.0.5:8080,http://10.0.0.6:8080 (required)")
			fs.StringVar(&cacheSize, "cache-size", "1GiB", "memory for cached pages: bytes, or with KiB, MiB, GiB (also KB, MB, GB)")
			fs.StringVar(&secret, "cluster-secret", "", "secret shared with the app tier: reads its purge log and authenticates admin purges")
			fs.DurationVar(&shutdownTimeout, "shutdown-timeout", 20*time.Second, "after SIGTERM, how long in-flight requests get to finish")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			bs, err := parseBackends(backends)
			if err != nil {
				return err
			}
			size, err := parseSize(cacheSize)
			if err != nil {
				return err
			}
			st, err := cache.NewStore(cache.Config{MaxBytes: size})
			if err != nil {
				return err
			}
			limitEdgeMemory(env.log, size)
			e := &edge.Edge{Backends: bs, Store: st, Log: env.log}
			return runEdge(ctx, env, e, listen, adminListen, secret, shutdownTimeout)
		},
	}
}

func runEdge(ctx context.Context, env *cmdEnv, e *edge.Edge, listen, adminListen, secret string, shutdownTimeout time.Duration) error {
	servers := []*http.Server{newEdgeServer(e)}
	addrs := []string{listen}
	if adminListen != "" {
		servers = append(servers, newEdgeServer(e.AdminHandler(secret)))
		addrs = append(addrs, adminListen)
	}
	lns := make([]net.Listener, len(servers))
	for i, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns[:i] {
				l.Close()
			}
			return fmt.Errorf("edge: %w", err)
		}
		lns[i] = ln
	}
	fctx, stopFollower := context.WithCancel(ctx)
	defer stopFollower()
	var wg sync.WaitGroup
	if secret != "" {
		// One app server suffices: the purge log is in the shared database.
		e.Follower = &purgelog.Follower{
			Origin: e.Backends[0].String(), Secret: secret, Log: env.log,
			Apply: e.ApplyPurge, Reset: e.Store.PurgeAll,
		}
		wg.Go(func() { e.Follower.Run(fctx) })
	} else {
		env.log.Warn("no --cluster-secret: purges from the app tier will not reach this edge, and admin purges are refused")
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(lns[i]) }()
	}
	attrs := []any{"url", "http://" + hostPort(lns[0].Addr()), "backends", len(e.Backends)}
	if len(lns) > 1 {
		attrs = append(attrs, "admin", "http://"+lns[1].Addr().String()+"/_agora/status")
	}
	env.log.Info("edge serving", attrs...)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var errs []error
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("edge: requests still running after %s were cut off: %w", shutdownTimeout, err))
		}
	}
	stopFollower()
	wg.Wait()
	e.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	env.log.Info("stopped cleanly")
	return nil
}

// newEdgeServer sets explicit timeouts: slow clients must not hold
// connections forever.
func newEdgeServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

func parseBackends(s string) ([]*url.URL, error) {
	var out []*url.URL
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: --backends: %q is not an http(s)://HOST:PORT URL", errUsage, raw)
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: --backends is required", errUsage)
	}
	return out, nil
}

// parseSize reads a byte count such as 1GiB, 512MiB or 2000000.
func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	num, mult := strings.TrimSpace(s), uint64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 || n > (1<<63)/mult {
		return 0, fmt.Errorf("%w: --cache-size %q: want a positive size such as 1GiB or 512MiB", errUsage, s)
	}
	return n * mult, nil
}
