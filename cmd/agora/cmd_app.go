package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"agora/internal/app"
	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/mail"
	"agora/internal/media"
	"agora/internal/redact"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
)

// serveFlags are the flags of a serving app tier, shared by `app` and `up`.
type serveFlags struct {
	listen, metricsListen, publicURL string
	drainDelay, shutdownTimeout      time.Duration
	accessLog                        bool
	clusterSecret                    string
	smtp                             string        // mail.ParseSender URL; holds a password, never logged whole
	sessionTTL                       time.Duration // how long a shopper's session lives without use
	trustedProxies                   string        // clientaddr.Parse list: whose forwarding headers are believed
	maxInFlight, maxQueue            int           // app.Config's concurrency limit (agora app only)
	queueTimeout                     time.Duration
	testLatency                      time.Duration // app.Config.TestLatency: load tests only
	stripe                           stripeFlags
}

// testLatencyUsage is the help of --test-latency, on app and on up.
const testLatencyUsage = "TEST ONLY, never for a real store: hold every request (but health checks) this long before handling it, so that concurrency, not CPU, limits an instance in a load test (bench/ramp.sh)"

// checkTestLatency refuses a negative --test-latency as the user's mistake.
func checkTestLatency(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: --test-latency cannot be negative (got %s)", errUsage, d)
	}
	return nil
}

func (sf *serveFlags) declare(fs *flag.FlagSet, listen, metrics, metricsName string) {
	fs.StringVar(&sf.listen, "listen", listen, "public address to serve the store on (host:port; port 0 picks a free one)")
	fs.StringVar(&sf.metricsListen, metricsName, metrics, "internal address for Prometheus /metrics and pprof; keep it off the public network (empty disables; auto: 127.0.0.1 at the --listen port + 1000, so :8080 gives 127.0.0.1:9080 and apps side by side never collide)")
	fs.StringVar(&sf.publicURL, "public-url", "", "the address shoppers use, such as https://shop.example: links in e-mails and pages, Secure cookies when https; required when --smtp sends mail off this machine (empty: http://LISTEN while mail is only logged)")
	fs.DurationVar(&sf.drainDelay, "drain-delay", 5*time.Second, "after SIGTERM, how long /readyz reports 503 while requests are still served, so load balancers stop sending")
	fs.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", 20*time.Second, "then, how long in-flight requests get to finish")
	fs.BoolVar(&sf.accessLog, "access-log", true, "log one line per request")
	secretVar(fs, &sf.clusterSecret, "cluster-secret", "secret shared by every tier of one store, for internal endpoints (used by the edge tier)")
	fs.StringVar(&sf.smtp, "smtp", "log", "how email is sent: log (recipient and subject only), log+body (development: also the body, such as reset links), or smtp://USER:PASSWORD@HOST:587?from=shop@example.com&tls=starttls (tls: starttls, tls or none)")
	fs.DurationVar(&sf.sessionTTL, "session-ttl", 720*time.Hour, "how long a shopper's session (cart, login) lives")
	sf.stripe.declare(fs)
	fs.StringVar(&sf.trustedProxies, "trusted-proxies", "loopback", "proxies in front whose X-Forwarded-For and X-Forwarded-Proto are believed (client address for rate limits, https for Secure cookies): addresses, CIDR prefixes, loopback, private or none, comma-separated")
}

func appCommand() *command {
	var sf serveFlags
	var db, mediaURL string
	var replicas replicaFlags
	return &command{
		name:    "app",
		server:  true,
		summary: "run one stateless application-tier server",
		usage: `Serves the storefront, the JSON API and media from the database and media
storage given. Holds no state of its own: run as many as you like behind the
edge or any load balancer. Refuses to start on a database whose schema is
behind; run 'agora migrate' first. On SIGTERM it drains: /readyz turns 503
for --drain-delay while requests are still served, then in-flight requests
get --shutdown-timeout to finish.

--max-inflight bounds the requests handled at once; beyond it up to
--max-queue wait (at most --queue-timeout) and the rest are answered 503
with Retry-After, which the edge retries on another instance. /metrics
shows agora_http_queued: load beyond this instance's capacity, for an
autoscaler. Health checks and the edge's purge-log poll are not counted.
Off by default: the right number depends on the machine and the database;
measure it with agora loadtest (docs/OPERATIONS.md).`,
		setup: func(fs *flag.FlagSet) {
			sf.declare(fs, ":8080", metricsAuto, "metrics-listen")
			fs.IntVar(&sf.maxInFlight, "max-inflight", 0, "requests handled at once at most; more wait in a queue, then get 503 (0: no limit)")
			fs.IntVar(&sf.maxQueue, "max-queue", 0, "requests that may wait for a slot beyond --max-inflight (0: as many as --max-inflight; -1: none)")
			fs.DurationVar(&sf.queueTimeout, "queue-timeout", app.DefaultQueueTimeout, "longest wait in the queue before a 503")
			fs.DurationVar(&sf.testLatency, "test-latency", 0, testLatencyUsage)
			fs.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			replicas.register(fs)
			fs.StringVar(&mediaURL, "media", "", "media storage: file:///ABS/DIR, a directory path, or s3://BUCKET?endpoint=…&region=… (default ./agora-data/media)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if sf.maxInFlight < 0 || sf.maxQueue < -1 || sf.queueTimeout <= 0 {
				return fmt.Errorf("%w: --max-inflight must be 0 or more, --max-queue -1 or more, --queue-timeout above 0", errUsage)
			}
			if err := checkTestLatency(sf.testLatency); err != nil {
				return err
			}
			if err := replicas.check(db); err != nil {
				return err
			}
			d, err := store.Open(ctx, db, replicas.options(store.Options{Log: env.log}))
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.CheckSchema(ctx); err != nil {
				return err
			}
			m, err := openMedia(ctx, mediaURL, env)
			if err != nil {
				return err
			}
			defer m.Close()
			return serve(ctx, env, sf, d, m)
		},
	}
}

// serve runs the app tier until ctx is cancelled, then drains.
func serve(ctx context.Context, env *cmdEnv, sf serveFlags, d *store.DB, m *media.Store) error {
	trusted, err := parseTrustedProxies(sf.trustedProxies)
	if err != nil {
		return err
	}
	deps, err := shopDeps(env, sf, d)
	if err != nil {
		return err
	}
	// Before the public URL picks a port for --listen :0, whose metrics
	// port stays 0 too (port + 1000 of a random port may be taken).
	metricsListen, err := metricsAddr(sf.listen, sf.metricsListen)
	if err != nil {
		return err
	}
	if sf.publicURL, sf.listen, err = settlePublicURL(env, sf.publicURL, sf.listen, deps.Mail); err != nil {
		return err
	}
	deps.Catalog, deps.Media, deps.Log = catalog.New(d), m, env.log
	srv, err := app.New(app.Config{
		Listen:          sf.listen,
		MetricsListen:   metricsListen,
		PublicURL:       sf.publicURL,
		DrainDelay:      sf.drainDelay,
		ShutdownTimeout: sf.shutdownTimeout,
		AccessLog:       sf.accessLog,
		MaxInFlight:     sf.maxInFlight,
		MaxQueue:        sf.maxQueue,
		QueueTimeout:    sf.queueTimeout,
		TestLatency:     sf.testLatency,
		ClusterSecret:   sf.clusterSecret,
		TrustedProxies:  trusted,
	}, deps)
	if err != nil {
		return err
	}
	err = srv.Run(ctx, func(public, metrics net.Addr) {
		attrs := []any{"url", "http://" + hostPort(public), "public_url", sf.publicURL, "db", d.Location}
		if metrics != nil {
			attrs = append(attrs, "metrics", "http://"+metrics.String()+"/metrics")
		}
		env.log.Info("serving", attrs...)
	})
	if err != nil {
		return err // "agora app: listen on …": the command names itself once
	}
	env.log.Info("stopped cleanly")
	return nil
}

// shopDeps builds the shopping services over d, and the mail sender from
// --smtp, which is logged with its password redacted. app.New points the
// services' links and cookies at the public URL.
func shopDeps(env *cmdEnv, sf serveFlags, d *store.DB) (app.Deps, error) {
	if sf.sessionTTL <= 0 {
		return app.Deps{}, fmt.Errorf("%w: --session-ttl must be positive (got %s)", errUsage, sf.sessionTTL)
	}
	sender, err := mail.ParseSender(sf.smtp, env.log)
	if err != nil {
		return app.Deps{}, fmt.Errorf("%w: --smtp: %v", errUsage, err)
	}
	env.log.Info("mail", "sender", redact.URL(sf.smtp))
	card, err := sf.stripe.gateway()
	if err != nil {
		return app.Deps{}, err
	}
	if card != nil {
		env.log.Info("card payments", "provider", "stripe", "mode", card.Mode(), "webhooks", sf.stripe.webhookSecret != "")
	}
	cancelAfter, err := parseCancelUnpaid(sf.stripe.cancelUnpaid)
	if err != nil {
		return app.Deps{}, err
	}
	co := &checkout.Service{DB: d, Providers: providers(card)}
	return app.Deps{
		DB:        d,
		Sessions:  &session.Manager{DB: d, TTL: sf.sessionTTL},
		Customers: &customer.Service{DB: d},
		Carts:     &cart.Service{DB: d},
		Checkout:  co,
		Stripe:    card,
		Sweep:     &checkout.Sweep{Checkout: co, CancelAfter: cancelAfter},
		Mail:      sender,
		Staff:     &staff.Service{DB: d, Log: env.log},
	}, nil
}

// settlePublicURL decides the public URL every link in an e-mail is built
// on (issue 9: never a request's Host, which the requester chooses). A
// configured one must be an http(s) origin. Without one, mail that leaves
// this machine is refused, since a reset link naming the wrong host hands
// the token to whoever owns it; mail that is only logged gets
// http://LISTEN, the address a person on this machine opens. A listen
// port of 0 is picked now so the URL can name it; listen is returned with
// that port.
func settlePublicURL(env *cmdEnv, publicURL, listen string, sender mail.Sender) (string, string, error) {
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", "", fmt.Errorf("%w: --public-url %q is not an origin: use scheme://host[:port], such as https://shop.example", errUsage, publicURL)
		}
		return strings.TrimSuffix(publicURL, "/"), listen, nil
	}
	if _, local := sender.(*mail.LogSender); !local {
		return "", "", fmt.Errorf("%w: --smtp sends mail off this machine, so --public-url must say where the store is (such as https://shop.example): "+
			"links in e-mails are never taken from a request's Host", errUsage)
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", "", fmt.Errorf("%w: --listen %q: %v", errUsage, listen, err)
	}
	if port == "0" {
		// Bound and released at once: the port is free for the server
		// that binds it a moment later.
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return "", "", err
		}
		_, port, _ = net.SplitHostPort(ln.Addr().String())
		ln.Close()
		listen = net.JoinHostPort(host, port)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	publicURL = "http://" + net.JoinHostPort(host, port)
	env.log.Info("no --public-url: links in e-mails name the listen address, as mail stays on this machine", "public_url", publicURL)
	return publicURL, listen, nil
}

// metricsAuto is the default of --metrics-listen: see metricsAddr.
const metricsAuto = "auto"

// metricsAddr resolves --metrics-listen. "auto" is 127.0.0.1 at the public
// port + 1000: loopback only, as metrics and pprof are for the operator; a
// port of its own per instance, so that two apps on one host differing only
// in --listen both start (a fixed default let only the first one bind, and
// 9090 is Prometheus's own port); and a port an operator can tell from
// --listen when writing a scrape config. Port 0 stays 0 (a free port, logged).
func metricsAddr(listen, metrics string) (string, error) {
	if metrics != metricsAuto {
		return metrics, nil
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("%w: --listen %q: %v", errUsage, listen, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("%w: --listen %q: the port must be a number for --metrics-listen auto; set --metrics-listen", errUsage, listen)
	}
	if p == 0 {
		return "127.0.0.1:0", nil
	}
	if p+1000 > 65535 {
		return "", fmt.Errorf("%w: --metrics-listen auto would be port %d (--listen port + 1000), beyond 65535: set --metrics-listen", errUsage, p+1000)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1000)), nil
}

// hostPort shows a wildcard listener as localhost, the address a person
// on this machine would open.
func hostPort(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
