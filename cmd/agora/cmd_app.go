package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"agora/internal/app"
	"agora/internal/catalog"
	"agora/internal/media"
	"agora/internal/store"
)

// serveFlags are the flags of a serving app tier, shared by `app` and `up`.
type serveFlags struct {
	listen, metricsListen, publicURL string
	drainDelay, shutdownTimeout      time.Duration
	accessLog                        bool
	clusterSecret                    string
}

func (sf *serveFlags) declare(fs *flag.FlagSet, listen, metrics, metricsName string) {
	fs.StringVar(&sf.listen, "listen", listen, "public address to serve the store on (host:port; port 0 picks a free one)")
	fs.StringVar(&sf.metricsListen, metricsName, metrics, "internal address for Prometheus /metrics; keep it off the public network (empty disables)")
	fs.StringVar(&sf.publicURL, "public-url", "", "canonical origin of the store, such as https://shop.example (empty: taken from each request's Host)")
	fs.DurationVar(&sf.drainDelay, "drain-delay", 5*time.Second, "after SIGTERM, how long /readyz reports 503 while requests are still served, so load balancers stop sending")
	fs.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", 20*time.Second, "then, how long in-flight requests get to finish")
	fs.BoolVar(&sf.accessLog, "access-log", true, "log one line per request")
	fs.StringVar(&sf.clusterSecret, "cluster-secret", "", "secret shared by every tier of one store, for internal endpoints (used by the edge tier)")
}

func appCommand() *command {
	var sf serveFlags
	var db, mediaURL string
	return &command{
		name:    "app",
		summary: "run one stateless application-tier server",
		usage: `Serves the storefront, the JSON API and media from the database and media
storage given. Holds no state of its own: run as many as you like behind the
edge or any load balancer. Refuses to start on a database whose schema is
behind; run 'agora migrate' first. On SIGTERM it drains: /readyz turns 503
for --drain-delay while requests are still served, then in-flight requests
get --shutdown-timeout to finish.`,
		setup: func(fs *flag.FlagSet) {
			sf.declare(fs, ":8080", "127.0.0.1:9090", "metrics-listen")
			fs.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			fs.StringVar(&mediaURL, "media", "", "media storage: file:///ABS/DIR, a directory path, or s3://BUCKET?endpoint=…&region=… (default ./agora-data/media)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			d, err := store.Open(ctx, db, store.Options{})
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
	srv, err := app.New(app.Config{
		Listen:          sf.listen,
		MetricsListen:   sf.metricsListen,
		PublicURL:       sf.publicURL,
		DrainDelay:      sf.drainDelay,
		ShutdownTimeout: sf.shutdownTimeout,
		AccessLog:       sf.accessLog,
	}, app.Deps{DB: d, Catalog: catalog.New(d), Media: m, Log: env.log})
	if err != nil {
		return err
	}
	err = srv.Run(ctx, func(public, metrics net.Addr) {
		attrs := []any{"url", "http://" + hostPort(public), "db", d.Location}
		if metrics != nil {
			attrs = append(attrs, "metrics", "http://"+metrics.String()+"/metrics")
		}
		env.log.Info("serving", attrs...)
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	env.log.Info("stopped cleanly")
	return nil
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
