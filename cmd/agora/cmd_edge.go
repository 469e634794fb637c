package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/edge"
	"agora/internal/edge/cache"
	"agora/internal/edge/discover"
	"agora/internal/edge/h1"
	"agora/internal/edge/purgelog"
	"agora/internal/redact"
)

func edgeCommand() *command {
	var backends, cacheSize, trusted, hosts, originClient string
	var purgeOrigin, downstream string
	var shield bool
	var o edgeServe
	var policy cache.Policy
	var pf poolFlags
	var df dnsFlags
	var af acmeFlags
	var wf wafFlags
	var tf tlsFlags
	return &command{
		name:    "edge",
		server:  true,
		summary: "run the caching reverse proxy in front of the app tier",
		usage: `Serves the store's pages from a memory-bounded cache and forwards the rest
to the app servers given by --backends (URLs, or DNS names such as a
Kubernetes headless service, looked up again every --dns-interval; a failed
lookup keeps the last known servers), balanced by --policy (least request
by default), with active health checks on /readyz, outlier ejection, slow
start, per-backend limits, and retries on another backend when that is safe
(always before anything was sent; after a failure only for GET, HEAD,
OPTIONS and a checkout with an Idempotency-Key). Stores only what HTTP
says is storable (never pages with Set-Cookie, private or no-store, nor
answers to requests with Authorization), coalesces concurrent misses, serves
stale pages within stale-while-revalidate and, while the app tier fails,
within stale-if-error. Follows the app tier's purge log so purges by tag
reach it within a second. Fresh hits are answered by the edge's own
HTTP/1.1 server from responses serialized when stored (--net-http serves
with Go's standard server instead, for comparison). The admin API (status,
purge, drain: see agora purge and agora drain) listens on --admin-listen;
keep it off the public network. On SIGTERM it stops
accepting, then gives in-flight requests --shutdown-timeout to finish.

SIGUSR2 upgrades the edge without refusing a connection: it starts the
binary now on disk with the same arguments and hands it the listening
sockets; once the new process's pool has a backend that passed its checks,
it serves, and this process stops accepting and drains as on SIGTERM. The
new process starts with an empty cache. If it fails to serve within a
minute, it is killed and this process keeps serving.

With --tls-cert and --tls-key the public listener speaks HTTPS: HTTP/2
and HTTP/1.1 chosen by ALPN (TLS 1.2 and 1.3, forward-secret AEAD suites
only), the same cache and fast hit path on both, HSTS (--hsts), and the
app told X-Forwarded-Proto: https so its cookies are Secure (the app must
trust this edge: its --trusted-proxies). --http-listen adds a plain-HTTP
listener that redirects to HTTPS.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&o.listen, "listen", ":8080", "public address (host:port)")
			fs.StringVar(&o.adminListen, "admin-listen", "127.0.0.1:8081", "admin API address: status page /_agora/, GET /_agora/status, POST /_agora/purge, POST /_agora/drain and /_agora/undrain (empty disables)")
			fs.StringVar(&backends, "backends", "", "app servers, comma separated (required): URLs such as http://10.0.0.5:8080; dns://NAME:PORT for one backend per A/AAAA address of NAME (a Kubernetes headless service: dns://app.agora.svc:8080); dns+srv://_SERVICE._PROTO.NAME for the hosts and ports of SRV records (dns+srv://_http._tcp.app.agora.svc); names are looked up again every --dns-interval")
			fs.StringVar(&cacheSize, "cache-size", "1GiB", "memory for cached pages: bytes, or with KiB, MiB, GiB (also KB, MB, GB)")
			secretVar(fs, &o.secret, "cluster-secret", "secret shared with the app tier: reads its purge log and authenticates admin purges")
			fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "after SIGTERM, how long in-flight requests get to finish")
			fs.DurationVar(&policy.MaxStaleWhileRevalidate, "max-stale-while-revalidate", 0, "cap on the stale-while-revalidate window the app asks for (0: as the app says)")
			fs.DurationVar(&policy.MaxStaleIfError, "max-stale-if-error", 0, "cap on how long stale pages answer while the app tier fails (0: as the app says; the store's pages ask for 24h)")
			fs.StringVar(&trusted, "trusted-proxies", "", "proxies in front of the edge (a CDN, a TLS terminator) whose X-Forwarded-For/-Proto/-Host are passed on to the app, and which --max-conns-per-ip does not cap: IP addresses, CIDR prefixes, loopback, private; empty or none: nobody, the edge is the front door")
			fs.StringVar(&hosts, "allowed-hosts", "", allowedHostsUsage)
			edgeConnFlags(fs, &o)
			tf.register(fs)
			pf.register(fs)
			df.register(fs)
			af.register(fs)
			wf.register(fs)
			fs.StringVar(&originClient, "origin-client", "h1", "client for the requests to the app servers: h1, the edge's own HTTP/1.1 client, or std, Go's net/http Transport (slower; the way back should h1 misbehave with a backend)")
			fs.BoolVar(&shield, "shield", false, "the --backends are a shield (another agora edge in front of the app tier), not the app tier: this PoP sends them the cluster secret, gets tags and the shield's purge seq, and stores no page from a shield that has not applied a purge this PoP has (tiered caching); needs --purge-origin and --cluster-secret")
			fs.StringVar(&purgeOrigin, "purge-origin", "", "base URL of the app tier (an app server, or its balancer) whose purge log this edge follows and admin purges append to, when that is not the --backends (a PoP behind a --shield); http(s)://HOST:PORT")
			fs.StringVar(&downstream, "downstream-cdn", "off", "a CDN in front of this edge: cloudflare (CDN-Cache-Control and Cache-Tag), fastly (Surrogate-Control and Surrogate-Key), generic (CDN-Cache-Control and Surrogate-Key) are added to stored pages as they leave, for the CDN to cache and be purged by (see agora cdn-purge); off strips them")
			fs.StringVar(&o.edgeName, "edge-name", "", "this edge's name among the store's edges (a PoP such as eu-west-1), the same after a restart: the app tier lists each edge under it with the purge seq it applied (default: host name and public listener address)")
			fs.DurationVar(&o.heartbeat, "heartbeat-interval", purgelog.DefaultHeartbeat, "how often the edge reports its applied purge seq to the app tier (also after every purge it applies); silent for three intervals, it is shown as gone")
			fs.BoolVar(&o.netHTTP, "net-http", false, "serve the public listener with Go's net/http server instead of the edge's own HTTP/1.1 server and its fast hit path (slower; for comparison)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			static, names, err := parseBackends(backends)
			if err != nil {
				return err
			}
			if err := df.check(); err != nil {
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
			if policy.MaxStaleWhileRevalidate < 0 || policy.MaxStaleIfError < 0 {
				return fmt.Errorf("%w: --max-stale-while-revalidate and --max-stale-if-error must not be negative", errUsage)
			}
			tp, err := parseTrustedProxies(trusted)
			if err != nil {
				return err
			}
			if o.heartbeat < 10*time.Millisecond || o.heartbeat > 10*time.Minute {
				return fmt.Errorf("%w: --heartbeat-interval must be between 10ms and 10m (got %s)", errUsage, o.heartbeat)
			}
			if len(o.edgeName) > 200 || strings.ContainsAny(o.edgeName, "\x00\n\r") {
				return fmt.Errorf("%w: --edge-name must be at most 200 bytes on one line", errUsage)
			}
			if err := checkConnFlags(o); err != nil {
				return err
			}
			allowed, err := parseAllowedHosts(hosts)
			if err != nil {
				return err
			}
			acmeSetup, err := af.check(tf.cert, o.secret != "")
			if err != nil {
				return err
			}
			if err := tf.check(acmeSetup != nil); err != nil {
				return err
			}
			if o.tls, err = tf.build(env.log, acmeSetup); err != nil {
				return err
			}
			if originClient != "h1" && originClient != "std" {
				return fmt.Errorf("%w: --origin-client must be h1 or std", errUsage)
			}
			fw, err := wf.build(env.log)
			if err != nil {
				return err
			}
			e := &edge.Edge{Store: st, Log: env.log, Policy: policy, TrustedProxies: tp, AllowedHosts: allowed, OriginClient: originClient, WAF: fw}
			if err := tierFlags(e, o.secret, shield, purgeOrigin, downstream); err != nil {
				return err
			}
			pool, err := pf.build(e, static)
			if err != nil {
				return err
			}
			defer pool.Close()
			if len(names) > 0 {
				stop := df.follow(ctx, e, static, names)
				defer stop()
			}
			return runEdge(ctx, env, e, o)
		},
	}
}

func runEdge(ctx context.Context, env *cmdEnv, e *edge.Edge, o edgeServe) error {
	if o.secret != "" {
		// One app server suffices: the purge log is in the shared database.
		// The pool says which one, so a dead backend is passed over.
		e.Follower = &purgelog.Follower{
			OriginFunc: e.PurgeOrigin, Secret: o.secret, Log: env.log,
			Apply: e.ApplyPurge, Reset: e.ResetPurges, ResetAtHead: true,
		}
		if len(e.Backends) > 0 { // none when DNS names every backend
			e.Follower.Origin = e.Backends[0].String()
		}
	} else {
		env.log.Warn("no --cluster-secret: purges from the app tier will not reach this edge, and admin purges are refused")
	}
	o.ready, o.attrs = "serving", []any{"backends", len(e.Pool.Members())}
	if err := serveEdge(ctx, env, e, o); err != nil {
		return err
	}
	env.log.Info("stopped cleanly")
	return nil
}

// tierFlags sets e's place in a tiered network (issue 13): a PoP behind a
// shield, the app tier its purge log is read from, the CDN in front.
func tierFlags(e *edge.Edge, secret string, shield bool, purgeOrigin, downstream string) error {
	e.ClusterSecret = secret // any edge with the secret can be a shield
	if purgeOrigin != "" {
		u, err := url.Parse(purgeOrigin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: --purge-origin: %q is not an http(s)://HOST:PORT URL", errUsage, redact.URL(purgeOrigin))
		}
		e.PurgeLog = u
	}
	if shield {
		if secret == "" || e.PurgeLog == nil {
			return fmt.Errorf("%w: --shield needs --cluster-secret (the shield trusts PoPs that send it) and --purge-origin (the purge log is the app tier's, not the shield's)", errUsage)
		}
		e.ShieldSecret = secret
	}
	d, err := edge.ParseDownstream(downstream)
	if err != nil {
		return fmt.Errorf("%w: --downstream-cdn: %v", errUsage, err)
	}
	e.Downstream = d
	return nil
}

// edgeConnFlags are the bounds on what the edge takes on, for `agora
// edge` and `agora up`: the public listener's connection caps and the
// background refreshes.
func edgeConnFlags(fs *flag.FlagSet, o *edgeServe) {
	fs.IntVar(&o.maxConns, "max-conns", h1.DefaultMaxConns, "cap on open client connections; past it a new one gets 503 with Retry-After (0: no cap)")
	fs.IntVar(&o.maxConnsPerIP, "max-conns-per-ip", h1.DefaultMaxConnsPerClient, "cap on one client address's open connections (an IPv6 /64 counts as one; --trusted-proxies are exempt; 0: no cap)")
	o.rateLimits.register(fs)
	fs.IntVar(&o.maxBackgroundFetches, "max-background-fetches", edge.DefaultMaxBackgroundFetches, "background refreshes (stale-while-revalidate, soft purges) under way at once; past it the stale page is served and a later request refreshes it")
}

func checkConnFlags(o edgeServe) error {
	if o.maxConns < 0 || o.maxConnsPerIP < 0 {
		return fmt.Errorf("%w: --max-conns and --max-conns-per-ip must not be negative (0: no cap)", errUsage)
	}
	if err := o.rateLimits.check(); err != nil {
		return err
	}
	if o.maxBackgroundFetches < 1 {
		return fmt.Errorf("%w: --max-background-fetches must be at least 1", errUsage)
	}
	return nil
}

const allowedHostsUsage = "host names the store answers for, comma separated (shop.example,www.shop.example); a request for another gets 421 and reaches neither the app nor the cache (empty: any host)"

// parseAllowedHosts reads --allowed-hosts: bare host names, no port.
func parseAllowedHosts(s string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(s, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if u, err := url.Parse("http://" + h); err != nil || u.Host != h || u.Port() != "" {
			return nil, fmt.Errorf("%w: --allowed-hosts: %q is not a host name (no scheme, port or path)", errUsage, h)
		}
		out = append(out, h)
	}
	return out, nil
}

func parseTrustedProxies(s string) (*clientaddr.Trusted, error) {
	t, err := clientaddr.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: --trusted-proxies: %v", errUsage, err)
	}
	return t, nil
}

// parseBackends reads --backends: static http(s) URLs, and names whose
// addresses DNS gives (discover.Parse), in any mix.
func parseBackends(s string) (static []*url.URL, names []discover.Target, err error) {
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if t, isDNS, err := discover.Parse(raw); isDNS {
			if err != nil {
				return nil, nil, fmt.Errorf("%w: --backends: %v", errUsage, err)
			}
			names = append(names, t)
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("%w: --backends: %q is not an http(s)://HOST:PORT URL, dns://NAME:PORT or dns+srv://NAME", errUsage, redact.URL(raw))
		}
		static = append(static, u)
	}
	if len(static) == 0 && len(names) == 0 {
		return nil, nil, fmt.Errorf("%w: --backends is required", errUsage)
	}
	return static, names, nil
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
