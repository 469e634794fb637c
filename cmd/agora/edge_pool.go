package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
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

// build makes the pool of urls and sets e's pool, key and timeouts. client,
// if set, sends the health checks (agora up dials its supervised child).
func (f *poolFlags) build(e *edge.Edge, urls []*url.URL, client *http.Client) (*balance.Pool, error) {
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
		cfg.Check = &balance.Check{Interval: f.healthInterval, Timeout: f.healthTimeout, Rise: f.rise, Fall: f.fall, Client: client}
	}
	p := balance.New(cfg)
	p.Set(urls)
	e.Pool, e.Backends = p, urls
	e.DialTimeout, e.ResponseHeaderTimeout = f.dialTimeout, f.responseHeaderWait
	return p, nil
}
