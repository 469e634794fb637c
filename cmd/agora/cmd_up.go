package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"agora/internal/catalog"
	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/edge/cache"
	"agora/internal/edge/purgelog"
	"agora/internal/fault"
	"agora/internal/mail"
	"agora/internal/media"
	"agora/internal/password"
	"agora/internal/scale"
	"agora/internal/scale/autoscale"
	"agora/internal/seed"
	"agora/internal/staff"
	"agora/internal/store"
)

// upFlags are the flags of `agora up`: the edge's, and those handed to the
// app instance it supervises.
type upFlags struct {
	listen, adminListen, cacheSize string
	dataDir, db, mediaURL          string
	demo                           bool
	publicURL, clusterSecret, smtp string
	drainDelay, shutdownTimeout    time.Duration
	sessionTTL                     time.Duration
	accessLog                      bool
	// edgeTrustedProxies are the proxies in front of the edge; edge holds
	// its connection caps.
	edgeTrustedProxies string
	allowedHosts       string
	waf                wafFlags
	edge               edgeServe
	tls                tlsFlags
	acme               acmeFlags
	pool               poolFlags
	scale              scaleFlags
	testLatency        time.Duration // forwarded to every app instance
	maxInFlight        int           // forwarded to every app instance as --max-inflight
	stripe             stripeFlags   // forwarded to every app instance in its environment
	edges              int           // PoPs this process serves (--edges)
	shield             bool          // PoP 1 is the others' shield (--shield)
	replicas           replicaFlags  // forwarded to every app instance (URLs in the environment)
}

// scaleFlags are the app pool's size bounds and the autoscaler's settings
// (internal/scale/autoscale holds their defaults and their reasons).
type scaleFlags struct {
	min, max                                  int
	targetInFlight, tolerance, panicThreshold float64
	stableWindow, panicWindow, scaleDownDelay time.Duration
	tick                                      time.Duration
}

func (f *scaleFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.min, "min", autoscale.DefaultMin, "fewest app instances: two, so that one crash never takes the store down")
	fs.IntVar(&f.max, "max", autoscale.DefaultMax(), "most app instances (default: twice the CPUs)")
	fs.Float64Var(&f.targetInFlight, "target-inflight", autoscale.DefaultTargetInFlight, "requests in flight one app instance is sized for: the pool grows when the edge has more per instance")
	fs.Float64Var(&f.tolerance, "scale-tolerance", autoscale.DefaultTolerance, "how far (a fraction) the load may stray from the target without a resize")
	fs.DurationVar(&f.stableWindow, "stable-window", autoscale.DefaultStableWindow, "the load is averaged over this to grow, and must have been lower for this long to shrink")
	fs.DurationVar(&f.panicWindow, "panic-window", 0, "short window that grows the pool at once on a burst (0: a tenth of --stable-window)")
	fs.Float64Var(&f.panicThreshold, "panic-threshold", autoscale.DefaultPanicThreshold, "a burst is when the panic window asks for this multiple of the current size")
	fs.DurationVar(&f.scaleDownDelay, "scale-down-delay", 0, "the pool shrinks only to the largest size asked over this window (0: --stable-window)")
	fs.DurationVar(&f.tick, "scale-interval", scale.DefaultTick, "how often the autoscaler reads the edge's load")
}

// autoscaler checks the flags (autoscale.New's errors name the flag) and
// makes the autoscaler.
func (f *scaleFlags) autoscaler(log *slog.Logger) (*autoscale.Autoscaler, error) {
	if f.tick <= 0 {
		return nil, fmt.Errorf("%w: --scale-interval must be positive (got %s)", errUsage, f.tick)
	}
	a, err := autoscale.New(autoscale.Config{
		Min: f.min, Max: f.max, TargetInFlight: f.targetInFlight, Tolerance: f.tolerance,
		StableWindow: f.stableWindow, PanicWindow: f.panicWindow, PanicThreshold: f.panicThreshold,
		ScaleDownDelay: f.scaleDownDelay, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errUsage, fault.MessageOf(err))
	}
	return a, nil
}

func upCommand() *command {
	var f upFlags
	return &command{
		name:    "up",
		server:  true,
		summary: "run the whole store on this machine (the place to start)",
		usage: `Runs the whole store on this machine with embedded defaults: a SQLite
database and a media directory under --data, migrated automatically.
--demo seeds a small demo catalog (800 products) the first time.
Then open http://localhost:8080.

The edge cache serves --listen and runs the app tier as a pool of child
processes ('agora app' on loopback ports), each restarted with backoff if it
crashes. An instance joins the edge's pool once its /readyz passes. The
autoscaler reads the requests in flight at the edge every --scale-interval
and keeps the pool between --min and --max instances, about
--target-inflight requests each; a removed instance drains first. Its
decisions are logged and shown on the status page. SIGHUP (or agora
reload) upgrades the app tier: each instance is replaced, one at a time, by
one of the binary now on disk. SIGUSR2 upgrades everything: it starts the
binary on disk as a new 'agora up' with the same arguments and hands it the
listening sockets; once the new one's own app instances are ready and it
serves, this one stops accepting, drains, and stops its app instances. The
new edge starts with an empty cache. Give --cluster-secret (without it each
process makes its own, and agora reload needs the new one).
Purges from the app tier reach the edge by themselves; without
--cluster-secret a random one is made for this run. The edge's admin API
(status page, status, metrics, purge) listens on --admin-listen. On SIGTERM
the edge stops taking requests and finishes those in flight, then the app
instances drain and stop; a second SIGTERM or Ctrl-C stops at once.

--edges 3 runs three edge PoPs in this process, to try the CDN out: PoP 1
on --listen, the others on the ports after it, each with its own cache
following the purge log, all in front of the same app pool; agora purge
--wait then returns once all three have applied a purge. With --shield,
PoP 1 is also the shield of the others (tiered caching): PoPs 2.. fetch
their misses from PoP 1, so a page cold everywhere costs the app tier one
fetch, while every PoP still follows the app tier's purge log itself. The
host name is part of the shield's cache key, as all PoPs of a store answer
for one name: ask every PoP for the same Host (curl -H 'Host: localhost:8080')
to see one fetch serve them all.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&f.listen, "listen", ":8080", "public address of the store (host:port; port 0 picks a free one)")
			fs.StringVar(&f.adminListen, "admin-listen", "127.0.0.1:8081", "edge admin API address: GET /_agora/status, POST /_agora/purge; keep it off the public network (empty disables)")
			fs.StringVar(&f.cacheSize, "cache-size", "256MiB", "memory for cached pages: bytes, or with KiB, MiB, GiB (also KB, MB, GB)")
			fs.StringVar(&f.dataDir, "data", "./agora-data", "directory for the embedded database and media")
			fs.StringVar(&f.db, "db", "", "database instead of the embedded one: postgres://USER:PASSWORD@HOST:PORT/DB (default sqlite:DATA/agora.db)")
			f.replicas.register(fs)
			fs.StringVar(&f.mediaURL, "media", "", "media storage instead of DATA/media: file:///ABS/DIR or s3://BUCKET?…")
			fs.BoolVar(&f.demo, "demo", false, "seed a demo catalog (the small profile) when the store is empty")
			fs.StringVar(&f.publicURL, "public-url", "", "the address shoppers use, such as https://shop.example: links in e-mails and pages, Secure cookies when https; required when --smtp sends mail off this machine (empty: http://LISTEN, or https://LISTEN with --tls-cert, while mail is only logged)")
			secretVar(fs, &f.clusterSecret, "cluster-secret", "secret shared by the edge and the app tier: purge log, admin purges (empty: a random one for this run)")
			fs.StringVar(&f.smtp, "smtp", "log", "how email is sent: log (recipient and subject only), log+body (development: also the body, such as reset links), or smtp://USER:PASSWORD@HOST:587?from=shop@example.com&tls=starttls (tls: starttls, tls or none)")
			fs.DurationVar(&f.drainDelay, "drain-delay", 5*time.Second, "after SIGTERM, how long the app's /readyz reports 503 while it still serves (the edge has stopped by then)")
			fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 20*time.Second, "after SIGTERM, how long in-flight requests get to finish, at the edge and then at the app")
			fs.DurationVar(&f.sessionTTL, "session-ttl", 720*time.Hour, "how long a shopper's session (cart, login) lives")
			fs.BoolVar(&f.accessLog, "access-log", true, "log one line per request (at the app)")
			f.stripe.declare(fs)
			fs.StringVar(&f.edgeTrustedProxies, "trusted-proxies", "", "proxies in front of the store (a CDN, a TLS terminator) whose X-Forwarded-For/-Proto/-Host the edge passes on to the app: IP addresses, CIDR prefixes, loopback, private; empty or none: nobody")
			fs.StringVar(&f.allowedHosts, "allowed-hosts", "", allowedHostsUsage)
			f.waf.register(fs)
			edgeConnFlags(fs, &f.edge)
			f.tls.register(fs)
			f.acme.register(fs)
			f.pool.register(fs)
			f.scale.register(fs)
			fs.DurationVar(&f.testLatency, "test-latency", 0, testLatencyUsage+"; passed to every app instance")
			fs.IntVar(&f.edges, "edges", 1, "edge PoPs to run, to try the CDN out on one machine: PoP 1 serves --listen, the others the ports after it (passing over --admin-listen's; each its own free port with port 0), each with its own --cache-size cache, purge follower and heartbeat, all in front of the same app pool; the admin API is PoP 1's. Plain HTTP only")
			fs.BoolVar(&f.shield, "shield", false, "with --edges 2 or more: PoPs 2.. use PoP 1 as their shield (their backend) instead of the app pool, so a cold page costs one app-tier fetch however many PoPs ask; purges still reach every PoP from the app tier")
			fs.IntVar(&f.maxInFlight, "max-inflight", 0, "requests each app instance handles at once; more queue briefly, then get 503, which the edge retries on another instance (0: no limit)")
		},
		run: func(ctx context.Context, env *cmdEnv) error { return runUp(ctx, env, f) },
	}
}

func runUp(ctx context.Context, env *cmdEnv, f upFlags) error {
	// Checked here, so a bad key stops up at once rather than crash-looping
	// every app instance.
	if _, err := f.stripe.gateway(); err != nil {
		return err
	}
	if _, err := parseCancelUnpaid(f.stripe.cancelUnpaid); err != nil {
		return err
	}
	// An upgrade's sockets, taken before any app instance could inherit them.
	inh, err := takeInherited()
	if err != nil {
		return err
	}
	size, err := parseSize(f.cacheSize)
	if err != nil {
		return err
	}
	popListens, err := f.popListens()
	if err != nil {
		return err
	}
	// The app instance checks these too, but a mistake is the user's: say
	// so here, as a usage error, not as an app that would not start.
	if f.sessionTTL <= 0 {
		return fmt.Errorf("%w: --session-ttl must be positive (got %s)", errUsage, f.sessionTTL)
	}
	sender, err := mail.ParseSender(f.smtp, env.log)
	if err != nil {
		return fmt.Errorf("%w: --smtp: %v", errUsage, err)
	}
	// up always has a cluster secret (a random one when not given), so
	// the app tier it runs can keep ACME's certificates.
	acmeSetup, err := f.acme.check(f.tls.cert, true)
	if err != nil {
		return err
	}
	if err := f.tls.check(acmeSetup != nil); err != nil {
		return err
	}
	edgeTLS, err := f.tls.build(env.log, acmeSetup)
	if err != nil {
		return err
	}
	// The app links to the edge's address, not its own loopback port.
	defaulted := f.publicURL == ""
	if f.publicURL, f.listen, err = settlePublicURL(env, f.publicURL, f.listen, sender); err != nil {
		return err
	}
	switch {
	case defaulted && acmeSetup != nil:
		// The store's name is the certificate's first.
		f.publicURL = "https://" + acmeSetup.domains[0]
		if _, port, _ := net.SplitHostPort(f.listen); port != "443" && port != "" {
			f.publicURL = "https://" + net.JoinHostPort(acmeSetup.domains[0], port)
		}
	case defaulted && edgeTLS != nil:
		// The edge's address is an https one: links and Secure cookies.
		f.publicURL = "https://" + strings.TrimPrefix(f.publicURL, "http://")
	}
	trusted, err := parseTrustedProxies(f.edgeTrustedProxies)
	if err != nil {
		return err
	}
	if err := checkConnFlags(f.edge); err != nil {
		return err
	}
	allowed, err := parseAllowedHosts(f.allowedHosts)
	if err != nil {
		return err
	}
	if f.maxInFlight < 0 {
		return fmt.Errorf("%w: --max-inflight must not be negative (0: no limit)", errUsage)
	}
	fw, err := f.waf.build(env.log)
	if err != nil {
		return err
	}
	if err := checkTestLatency(f.testLatency); err != nil {
		return err
	}
	if err := f.replicas.check(f.db); err != nil {
		return err
	}
	auto, err := f.scale.autoscaler(env.log)
	if err != nil {
		return err
	}
	owner, err := prepareStore(ctx, env, &f)
	if err != nil {
		return err
	}
	if f.clusterSecret == "" {
		f.clusterSecret = randomSecret()
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this binary to run the app tier: %w", err)
	}
	st, err := cache.NewStore(cache.Config{MaxBytes: size})
	if err != nil {
		return err
	}
	limitEdgeMemory(env.log, size*uint64(f.edges))
	// Requests go through the edge's own backend client, as under agora
	// edge; the purge follower uses Go's default client, which does not cut
	// its 25 s long poll short with a response-head timeout.
	e := &edge.Edge{Store: st, Log: env.log, TrustedProxies: trusted, AllowedHosts: allowed, WAF: fw}
	e.RateLimit = f.edge.rateLimits.limiter(env, e, f.clusterSecret)
	// The pool starts empty: app instances join it as they become ready.
	pool, err := f.pool.build(e, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	apps := &scale.Pool{
		Path: self, Args: appArgs(env.log, f), Env: appEnv(f), Log: env.log, Edge: pool,
		DrainTimeout: f.shutdownTimeout,
		StopTimeout:  f.drainDelay + f.shutdownTimeout + 10*time.Second,
	}
	// A second signal must not leave the app instances draining behind us.
	defer onHardStop(ctx, apps.Kill)()
	// SIGHUP is caught from here on: one that comes while the first
	// instances start is a reload once they serve, not the default
	// action, which would end agora up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := apps.Start(ctx, f.scale.min); err != nil {
		return err // "agora up: scale: …": Main names the command
	}
	scaler := &scale.Scaler{Pool: apps, Auto: auto}
	e.Scale = &edge.Extra{
		Status:  func() any { return scaler.Status() },
		HTML:    scaler.HTML,
		Metrics: scaler,
		// The reload goes on if the operator's client hangs up: stopping
		// half-way would gain nothing. Stop aborts it.
		Reload: func(ctx context.Context) (any, error) { return apps.Reload(context.WithoutCancel(ctx)) },
	}
	defer reloadOnHangup(env, apps, hup)()
	var first string // the follower's fallback; it asks the pool first
	if m := pool.Members(); len(m) > 0 {
		first = m[0].URL.String()
	}
	e.Follower = &purgelog.Follower{
		Origin: first, OriginFunc: e.PurgeOrigin, Secret: f.clusterSecret, Log: env.log,
		Apply: e.ApplyPurge, Reset: e.ResetPurges, ResetAtHead: true,
	}
	pops, err := morePoPs(env, f, e, popListens, size, first)
	if err != nil {
		return err
	}
	// The autoscaler stops before the pool does, so nothing grows it
	// while it stops.
	sctx, stopScaler := context.WithCancel(ctx)
	ticker := time.NewTicker(f.scale.tick)
	scaled := make(chan struct{})
	go func() {
		defer close(scaled)
		scaler.Run(sctx, ticker.C)
	}()
	edgeErr := serveEdge(ctx, env, e, edgeServe{
		listen: f.listen, adminListen: f.adminListen, secret: f.clusterSecret,
		shutdownTimeout: f.shutdownTimeout, inherited: &inh, tls: edgeTLS,
		maxConns: f.edge.maxConns, maxConnsPerIP: f.edge.maxConnsPerIP,
		maxBackgroundFetches: f.edge.maxBackgroundFetches,
		ready:                "serving", attrs: []any{"apps", apps.Size(), "min", f.scale.min, "max", f.scale.max},
		// settlePublicURL left f.publicURL set: given, or the listen address.
		onServing: func() {
			printAdminWay(env, f.publicURL, owner)
			printPoPs(env, e, pops)
		},
		pops: pops,
	})
	stopScaler()
	ticker.Stop()
	<-scaled
	appErr := apps.Stop()
	if appErr != nil {
		appErr = fmt.Errorf("the app tier did not stop cleanly: %w", appErr)
	}
	if err := errors.Join(edgeErr, appErr); err != nil {
		return err
	}
	env.log.Info("stopped cleanly")
	return nil
}

// popListens are the public addresses of PoPs 2..--edges: the ports
// after --listen's, passing over --admin-listen's; port 0 for each when
// --listen's is 0. Options that name one address or one port for the
// public listener are refused with --edges.
func (f *upFlags) popListens() ([]string, error) {
	switch {
	case f.edges < 1 || f.edges > 64:
		return nil, fmt.Errorf("%w: --edges must be between 1 and 64 (got %d)", errUsage, f.edges)
	case f.edges == 1 && f.shield:
		return nil, fmt.Errorf("%w: --shield makes PoP 1 the shield of the others: give --edges 2 or more", errUsage)
	case f.edges == 1:
		return nil, nil
	case f.tls.cert != "" || f.acme.domains != "" || f.tls.httpListen != "":
		return nil, fmt.Errorf("%w: --edges serves its extra PoPs over plain HTTP on the ports after --listen, to try the CDN out on one machine: it cannot be combined with --tls-cert, --acme-domains or --http-listen (for PoPs with TLS run one 'agora edge' each, see docs/OPERATIONS.md)", errUsage)
	}
	host, port, err := net.SplitHostPort(f.listen)
	if err != nil {
		return nil, fmt.Errorf("%w: --listen %q: want host:port", errUsage, f.listen)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("%w: --edges needs --listen with a port number (got %q)", errUsage, f.listen)
	}
	_, adminPort, _ := net.SplitHostPort(f.adminListen)
	var out []string
	for len(out) < f.edges-1 {
		if p > 0 {
			p++
			if strconv.Itoa(p) == adminPort {
				continue
			}
			if p > 65535 {
				return nil, fmt.Errorf("%w: --edges %d: the ports after --listen %q run past 65535", errUsage, f.edges, f.listen)
			}
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(p)))
	}
	return out, nil
}

// morePoPs are PoPs 2..--edges of agora up: each an edge with its own
// cache, rate limiter and purge follower, sharing PoP 1's app pool (its
// health checks, per-backend limits and the load the autoscaler reads),
// WAF and settings. With --shield their backend is PoP 1 instead, once
// serveEdge knows its address; they follow the purge log of the app
// tier PoP 1 sends requests to.
func morePoPs(env *cmdEnv, f upFlags, first *edge.Edge, listens []string, size uint64, origin string) ([]popServe, error) {
	var pops []popServe
	for i, listen := range listens {
		st, err := cache.NewStore(cache.Config{MaxBytes: size})
		if err != nil {
			return nil, err
		}
		e := &edge.Edge{
			Store: st, Log: env.log.With("pop", i+2), TrustedProxies: first.TrustedProxies, AllowedHosts: first.AllowedHosts, WAF: first.WAF,
			Pool: first.Pool, PickKey: first.PickKey, DialTimeout: first.DialTimeout, ResponseHeaderTimeout: first.ResponseHeaderTimeout,
		}
		if f.shield {
			first.ClusterSecret = f.clusterSecret
			e.Pool = balance.New(balance.Config{Log: e.Log}) // PoP 1, once listening
			e.ShieldSecret, e.PurgeFrom = f.clusterSecret, first.PurgeOrigin
		}
		e.RateLimit = f.edge.rateLimits.limiter(env, e, f.clusterSecret)
		e.Follower = &purgelog.Follower{
			Origin: origin, OriginFunc: e.PurgeOrigin, Secret: f.clusterSecret, Log: e.Log,
			Apply: e.ApplyPurge, Reset: e.ResetPurges, ResetAtHead: true,
		}
		pops = append(pops, popServe{e: e, listen: listen, shielded: f.shield})
	}
	return pops, nil
}

// printPoPs lists every PoP's address on standard output, with --edges.
func printPoPs(env *cmdEnv, first *edge.Edge, pops []popServe) {
	if len(pops) == 0 {
		return
	}
	role := "admin API, and the links in pages"
	if first.ClusterSecret != "" {
		role += "; the shield of the others"
	}
	fmt.Fprintf(env.stdout, "PoP 1: http://%s/ (%s)\n", hostPort(first.Conns.Addr()), role)
	for i, p := range pops {
		via := ""
		if p.shielded {
			via = " (behind PoP 1)"
		}
		fmt.Fprintf(env.stdout, "PoP %d: http://%s/%s\n", i+2, hostPort(p.e.Conns.Addr()), via)
	}
}

// reloadOnHangup reloads the app tier on every SIGHUP (the upgrade signal
// of daemons: systemd's ExecReload=kill -HUP $MAINPID) until the returned
// function is called. A SIGHUP during a reload is logged and ignored.
func reloadOnHangup(env *cmdEnv, apps *scale.Pool, hup <-chan os.Signal) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
				env.log.Info("SIGHUP: reloading the app tier")
				go func() {
					if _, err := apps.Reload(context.Background()); errors.Is(err, scale.ErrReloading) {
						env.log.Warn("SIGHUP ignored: a reload is already under way")
					} // Reload logs its own steps and its abort
				}()
			}
		}
	}()
	return func() { close(done) }
}

// prepareStore fills in the embedded defaults, migrates, and seeds the demo
// catalog when asked; the app instances then find the schema current. With
// --demo on a store without staff it also makes the first owner, returned
// with its password so the newcomer can sign in (nil otherwise).
func prepareStore(ctx context.Context, env *cmdEnv, f *upFlags) (*demoOwner, error) {
	if err := os.MkdirAll(f.dataDir, 0o750); err != nil {
		return nil, err
	}
	if f.db == "" {
		f.db = "sqlite:" + filepath.Join(f.dataDir, "agora.db")
	}
	if f.mediaURL == "" {
		u, err := media.DirURL(filepath.Join(f.dataDir, "media"))
		if err != nil {
			return nil, err
		}
		f.mediaURL = u
	}
	d, err := store.Open(ctx, f.db, store.Options{CreateDir: true})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		env.log.Info("migrated", "applied", applied)
	}
	if !f.demo {
		return nil, nil
	}
	m, err := media.Open(ctx, f.mediaURL)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if err := seedDemo(ctx, env, d, m); err != nil {
		return nil, err
	}
	return makeDemoOwner(ctx, env, d)
}

// appArgs are the app instance's flags. It logs JSON, which the supervisor
// re-logs in our format, at our level.
func appArgs(log *slog.Logger, f upFlags) []string {
	level := "info"
	if log.Enabled(context.Background(), slog.LevelDebug) {
		level = "debug"
	}
	args := []string{"app",
		"--listen", "127.0.0.1:0",
		"--metrics-listen", "",
		"--log-format", "json", "--log-level", level,
		"--public-url", f.publicURL,
		// Only the edge on this machine talks to the app.
		"--trusted-proxies", "loopback",
		"--drain-delay", f.drainDelay.String(),
		"--shutdown-timeout", f.shutdownTimeout.String(),
		"--session-ttl", f.sessionTTL.String(),
		"--access-log=" + strconv.FormatBool(f.accessLog),
		"--cancel-unpaid", f.stripe.cancelUnpaid,
	}
	if f.testLatency > 0 {
		args = append(args, "--test-latency", f.testLatency.String())
	}
	if f.maxInFlight > 0 {
		args = append(args, "--max-inflight", strconv.Itoa(f.maxInFlight))
	}
	if len(f.replicas.urls) > 0 {
		args = append(args, "--max-replica-lag", f.replicas.maxLag.String())
	}
	return args
}

// appEnv passes the settings that may hold passwords through the
// environment (readable only by this user), not the command line (readable
// by anyone with ps). Our own AGORA_* twins are left out: the flags above
// decide.
func appEnv(f upFlags) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AGORA_") {
			out = append(out, kv)
		}
	}
	return append(append(out,
		"AGORA_DB="+f.db,
		envName("db-replica")+"="+strings.Join(f.replicas.urls, ","),
		"AGORA_MEDIA="+f.mediaURL,
		"AGORA_CLUSTER_SECRET="+f.clusterSecret,
		"AGORA_SMTP="+f.smtp,
	), f.stripe.env()...)
}

func randomSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}

// demoImages is how many pictures the demo's products share: four per
// category look varied enough, and drawing them is most of the demo's
// first start (800 would take a 2-core machine several seconds).
const demoImages = 120

// seedDemo seeds the small profile into an empty store; a store with
// products is left alone, so --demo is safe on every start.
func seedDemo(ctx context.Context, env *cmdEnv, d *store.DB, m *media.Store) error {
	cat := catalog.New(d)
	n, err := cat.CountProducts(ctx)
	if err != nil || n > 0 {
		return err
	}
	opts := seed.Profiles["small"]
	opts.Seed = 1
	opts.Images = demoImages
	opts.Progress = env.progress
	env.log.Info("seeding the demo catalog", "products", opts.Products)
	res, err := seed.Run(ctx, cat, m, opts)
	if err != nil {
		return err
	}
	env.log.Info("seeded", "products", res.Products, "categories", res.Categories, "images", res.Images, "took", res.Duration.Round(1e7))
	return nil
}

// demoOwner is the owner account `agora up --demo` made on a store without
// staff, with the password generated for it.
type demoOwner struct{ email, password string }

// demoOwnerEmail is the demo owner's login; the password is generated.
const demoOwnerEmail = "owner@example.com"

// makeDemoOwner makes the first owner of a store without any staff, with a
// generated password (never a fixed default: a demo left running on a
// reachable address must not open its admin to whoever knows the default).
// A store with staff gets none, so only the first start shows a password.
func makeDemoOwner(ctx context.Context, env *cmdEnv, d *store.DB) (*demoOwner, error) {
	svc := &staff.Service{DB: d, Log: env.log}
	if exists, err := svc.Any(ctx); err != nil || exists {
		return nil, err
	}
	o := &demoOwner{email: demoOwnerEmail, password: password.Generate()}
	if _, err := svc.Create(ctx, o.email, "Demo Owner", staff.Owner, o.password); err != nil {
		return nil, fmt.Errorf("creating the demo owner: %w", err)
	}
	env.log.Info("created the demo owner", "email", o.email)
	return o, nil
}

// printAdminWay tells the newcomer where the admin is and, on the start that
// made the demo owner, its password: on standard output, once, and never in
// the log (logs are kept and shipped; this is for the person at the
// terminal).
func printAdminWay(env *cmdEnv, public string, o *demoOwner) {
	admin := public + "/admin/"
	if o == nil {
		fmt.Fprintf(env.stdout, "The store: %s/   Its admin: %s\n", public, admin)
		return
	}
	fmt.Fprintf(env.stdout, `The store: %s/
Its admin: %s
  Sign in as %s with the password
  %s
  It is shown only this once: keep it in a password manager (another owner
  can be made with 'agora user create').
`, public, admin, o.email, o.password)
}
