package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/edge/discover"
)

// poolFlags are the load-balancing flags of `agora edge` and `agora up`
// (issue 10): policy, active health checks, slow start, per-backend
// limits and the timeouts of one attempt.
type poolFlags struct {
	policy, hashKey                 string
	healthInterval, healthTimeout   time.Duration
	rise, fall                      int
	slowStart                       time.Duration
	maxPerBackend, queuePerBackend  int
	dialTimeout, responseHeaderWait time.Duration
}

func (f *poolFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.policy, "policy", "least-request", "how a request chooses its backend: least-request (two random choices, weighed by latency), round-robin, hash (on --hash-key)")
	fs.StringVar(&f.hashKey, "hash-key", "url", "what --policy hash hashes: url, or header:NAME")
	fs.DurationVar(&f.healthInterval, "health-interval", 2*time.Second, "active health checks: GET /readyz on every backend this often, jittered (0: no active checks)")
	fs.DurationVar(&f.healthTimeout, "health-timeout", time.Second, "a health check slower than this fails")
	fs.IntVar(&f.rise, "rise", 2, "passing checks in a row that make a backend healthy")
	fs.IntVar(&f.fall, "fall", 3, "failing checks in a row that make a backend unhealthy")
	fs.DurationVar(&f.slowStart, "slow-start", 10*time.Second, "a new or recovered backend's share ramps up over this window (0: at once)")
	fs.IntVar(&f.maxPerBackend, "max-per-backend", 512, "requests in flight per backend; past it and a short queue, 503 with Retry-After (0: no limit)")
	fs.IntVar(&f.queuePerBackend, "queue-per-backend", 64, "requests that may wait up to 100 ms for a backend at its limit")
	fs.DurationVar(&f.dialTimeout, "dial-timeout", edge.DefaultDialTimeout, "connecting to a backend slower than this fails over to another")
	fs.DurationVar(&f.responseHeaderWait, "response-header-timeout", edge.DefaultResponseHeaderTimeout, "a backend that sends no response head within this fails; idempotent requests then go to another")
}

// build makes the pool of urls and sets e's pool, key and timeouts.
func (f *poolFlags) build(e *edge.Edge, urls []*url.URL) (*balance.Pool, error) {
	if f.rise < 1 || f.fall < 1 || f.healthInterval < 0 || f.healthTimeout < 0 || f.slowStart < 0 || f.maxPerBackend < 0 || f.queuePerBackend < 0 || f.dialTimeout < 0 || f.responseHeaderWait < 0 {
		return nil, fmt.Errorf("%w: --rise and --fall must be at least 1; durations and limits must not be negative", errUsage)
	}
	cfg := balance.Config{SlowStart: f.slowStart, MaxInFlight: f.maxPerBackend, MaxQueue: f.queuePerBackend, Log: e.Log}
	switch f.policy {
	case "least-request":
		cfg.Selector = &balance.LeastRequest{}
	case "round-robin":
		cfg.Selector = &balance.RoundRobin{}
	case "hash":
		cfg.Selector = &balance.Hash{}
		switch name, isHeader := strings.CutPrefix(f.hashKey, "header:"); {
		case f.hashKey == "url":
			e.PickKey = func(r *http.Request) string { return r.Host + r.URL.RequestURI() }
		case isHeader && name != "":
			e.PickKey = func(r *http.Request) string { return r.Header.Get(name) }
		default:
			return nil, fmt.Errorf("%w: --hash-key %q: want url or header:NAME", errUsage, f.hashKey)
		}
	default:
		return nil, fmt.Errorf("%w: --policy %q: want least-request, round-robin or hash", errUsage, f.policy)
	}
	if f.healthInterval > 0 {
		cfg.Check = &balance.Check{Interval: f.healthInterval, Timeout: f.healthTimeout, Rise: f.rise, Fall: f.fall}
	}
	p := balance.New(cfg)
	p.Set(urls)
	e.Pool, e.Backends = p, urls
	e.DialTimeout, e.ResponseHeaderTimeout = f.dialTimeout, f.responseHeaderWait
	return p, nil
}

// dnsFlags are how `agora edge` follows the --backends that DNS names.
type dnsFlags struct {
	interval time.Duration
	server   string
}

func (f *dnsFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.interval, "dns-interval", discover.DefaultInterval, "how often the dns:// and dns+srv:// --backends are looked up again, jittered by ±10 %; a failed or empty answer keeps the last known backends")
	fs.StringVar(&f.server, "dns-server", "", "DNS server (host or host:port, port 53 by default) asked for dns:// and dns+srv:// --backends (empty: the system's, /etc/resolv.conf)")
}

// check validates the flags and adds the default port to --dns-server.
func (f *dnsFlags) check() error {
	if f.interval <= 0 {
		return fmt.Errorf("%w: --dns-interval must be positive", errUsage)
	}
	if f.server == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(f.server); err != nil {
		f.server = net.JoinHostPort(strings.Trim(f.server, "[]"), "53")
	}
	if host, port, err := net.SplitHostPort(f.server); err != nil || host == "" || port == "" {
		return fmt.Errorf("%w: --dns-server %q: want a host or host:port", errUsage, f.server)
	}
	return nil
}

// follow keeps e's pool equal to static plus the addresses of names until
// ctx ends or stop is called; stop returns once the lookups have ended.
// The first lookup is done before follow returns, so the edge serves with
// its backends from the start.
//
// If that first lookup fails, the edge starts anyway, with no backend
// (503 with Retry-After) or only the static ones, and keeps looking: in
// Kubernetes the edge often starts before any app pod is ready, and a
// headless service lists no address until one is. Refusing to start would
// only trade that for a crash loop whose back-off delays recovery by
// minutes. The resolver's log line says the pool waits for DNS, and
// /_agora/status shows the error.
func (f *dnsFlags) follow(ctx context.Context, e *edge.Edge, static []*url.URL, names []discover.Target) (stop func()) {
	r := &discover.Resolver{Pool: e.Pool, Static: static, Targets: names, Interval: f.interval, Server: f.server, Log: e.Log}
	e.Discovery = r
	_ = r.Refresh(ctx) // logged by r, shown in its status
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}
