package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"agora/internal/loadtest"
)

// discoverTimeout bounds reading the catalog before a load test.
const discoverTimeout = 30 * time.Second

// loadtestOpts is what the flags of agora loadtest say.
type loadtestOpts struct {
	target, host, mix, out string
	rate, maxWorkers       int
	retries                int
	duration               time.Duration
	timeout                time.Duration
	seed                   uint64
}

func loadtestCommand() *command {
	var o loadtestOpts
	return &command{
		name:    "loadtest",
		summary: "open-loop shopper load at a constant rate, counting every request",
		usage: `Sends a constant rate of requests to --target (an edge or an app) for
--duration, in a shopper mix: page views (home, category, product, search),
adds to carts and checkouts through the JSON API with an Idempotency-Key.
Requests leave on schedule whatever the answers (open loop), so a slow or
failing server cannot slow the load down and hide its failures.

The catalog is read from the JSON API first (/api/v1/categories,
/api/v1/products): seed the store before. --mix weighs the kinds
(home, category, product, search, cart, checkout); the default follows
Magento's performance toolkit. One --seed gives one plan.

At the end it prints totals, failures by cause and by second, latency
percentiles per kind and the rate achieved; --out DIR also gets every
request (requests.csv, with checkouts' keys and order numbers), the summary
and a plot of latency and failures over time (plot.svg). The exit code is
1 when any request failed, so scripts can tell.

Examples:
  agora loadtest --target http://127.0.0.1:8080 --rate 100 --duration 1m
  agora loadtest --rate 300 --mix product=80,cart=15,checkout=5 --out ./run1`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&o.target, "target", "http://127.0.0.1:8080", "the store to load: an edge's or an app's public URL")
			fs.StringVar(&o.host, "host", "", "Host header of the page requests (empty: the --target's): PoPs on one machine answering for one public name")
			fs.IntVar(&o.rate, "rate", 50, "requests per second")
			fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send requests")
			fs.StringVar(&o.mix, "mix", loadtest.DefaultMix, "weight of each kind of request: kind=weight,… (kinds: home, category, product, search, cart, checkout)")
			fs.Uint64Var(&o.seed, "seed", 1, "seed of the plan: one seed, one sequence of pages, carts and checkouts")
			fs.StringVar(&o.out, "out", "", "directory to write requests.csv, summary.txt and plot.svg into (none: print only)")
			fs.IntVar(&o.maxWorkers, "max-workers", 0, "requests in flight at most; a request planned beyond it fails as client_saturated (0: rate × timeout, at least 100)")
			fs.DurationVar(&o.timeout, "timeout", loadtest.DefaultTimeout, "time allowed to each request, connecting through the last byte")
			fs.IntVar(&o.retries, "checkout-retries", 1, "times a checkout that failed without an answer or with a 5xx is sent again with the same Idempotency-Key, after the answer's Retry-After (at most 5s) or a backoff from 100ms")
		},
		run: func(ctx context.Context, env *cmdEnv) error { return o.run(ctx, env) },
	}
}

func (o *loadtestOpts) run(ctx context.Context, env *cmdEnv) error {
	if len(env.args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, env.args[0])
	}
	target, err := url.Parse(o.target)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return fmt.Errorf("%w: --target %q: want the store's URL, such as http://127.0.0.1:8080", errUsage, o.target)
	}
	mix, err := loadtest.ParseMix(o.mix)
	if err != nil {
		return fmt.Errorf("%w: --mix: %v", errUsage, err)
	}
	dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	cat, err := loadtest.Discover(dctx, &http.Client{Timeout: discoverTimeout}, target)
	cancel()
	if err != nil {
		return err
	}
	runner, err := loadtest.New(loadtest.Config{Target: target, Host: o.host, Rate: o.rate, Duration: o.duration, Mix: mix, Seed: o.seed,
		MaxWorkers: o.maxWorkers, Timeout: o.timeout, CheckoutRetries: o.retries}, cat)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg := runner.Config()
	env.log.Info("load test", "target", target.Redacted(), "rate", cfg.Rate, "duration", cfg.Duration, "planned", runner.Planned(),
		"mix", mix.String(), "seed", cfg.Seed, "run_id", cfg.RunID, "products", len(cat.Products), "variants", len(cat.Variants))
	stopProgress := showProgress(env.progress, runner)
	res := runner.Run(ctx)
	stopProgress()
	sum := loadtest.Summarize(res)
	sum.Write(env.stdout)
	if o.out != "" {
		if err := loadtest.WriteDir(o.out, res, sum); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s, %s and %s to %s\n", loadtest.RequestsFile, loadtest.SummaryFile, loadtest.PlotFile, o.out)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %d of %d planned requests sent", sum.Sent, sum.Planned)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d of %d requests failed: %s", sum.Failed, sum.Planned, sum.FailureCauses())
	}
	return nil
}

// showProgress rewrites one line on w (a terminal, or nil for none) twice a
// second until the returned stop is called.
func showProgress(w io.Writer, r *loadtest.Runner) (stop func()) {
	if w == nil {
		return func() {}
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-tick.C:
				p := r.Progress()
				fmt.Fprintf(w, "\r\033[K%5.1fs  sent %d of %d  in flight %d  failed %d", p.Elapsed.Seconds(), p.Sent, p.Planned, p.InFlight, p.Failed)
			}
		}
	}()
	return func() { close(done); <-exited }
}
