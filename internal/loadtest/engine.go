package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run. The zero values of the optional fields are documented.
type Config struct {
	Target *url.URL // the edge or an app: http(s)://host:port
	// Host, if set, is the Host header of the requests to Target: several
	// PoPs on one machine answer for one public name (bench/shield.sh).
	Host     string
	Rate     int           // requests per second, 1 to MaxRate
	Duration time.Duration // how long requests are sent
	Mix      Mix
	Seed     uint64 // one seed, one plan (kinds, pages, shoppers, carts)
	// MaxWorkers bounds requests in flight. A request planned while all are
	// busy is not sent and is recorded as failed (client_saturated), so the
	// schedule never bends to a slow server. 0: Rate × Timeout in seconds,
	// at least 100, enough for every request to hang until its timeout.
	MaxWorkers int
	// Timeout bounds each request, connecting through reading the body.
	// 0: 10 s.
	Timeout time.Duration
	// CheckoutRetries is how many times a checkout that failed without an
	// answer, or with a 5xx, is sent again with the same Idempotency-Key,
	// as a careful client would; every attempt is recorded.
	CheckoutRetries int
	// RunID starts every Idempotency-Key, so runs on one database never
	// share a key. "": random.
	RunID string
}

// MaxRate is the highest rate a run may ask for.
const MaxRate = 1_000_000

// DefaultTimeout is Config.Timeout's default.
const DefaultTimeout = 10 * time.Second

// Runner runs one Config. Progress may be called while Run runs.
type Runner struct {
	cfg       Config
	cat       Catalog
	transport *http.Transport
	pages     *http.Client // page views: no cookies, as a first visit
	planned   int

	start    atomic.Pointer[time.Time]
	sent     atomic.Int64
	failed   atomic.Int64
	inFlight atomic.Int64

	mu      sync.Mutex // protects records
	records []Record

	onRecord func(Record) // tests: called with each record as it is made, from any goroutine
	// pause waits d or until ctx ends, before a checkout is sent again;
	// tests replace it to see the waits without taking them.
	pause func(ctx context.Context, d time.Duration)
}

// Progress is a running total, for a progress line.
type Progress struct {
	Elapsed          time.Duration
	Planned, Sent    int
	Failed, InFlight int
}

// Results is what a run recorded.
type Results struct {
	Start   time.Time
	Config  Config
	Planned int
	Elapsed time.Duration // from the start to the last answer
	Records []Record      // by Seq, then Attempt
}

// New checks cfg against the catalog and prepares a run.
func New(cfg Config, cat Catalog) (*Runner, error) {
	switch {
	case cfg.Target == nil || (cfg.Target.Scheme != "http" && cfg.Target.Scheme != "https") || cfg.Target.Host == "":
		return nil, errors.New("loadtest: the target must be an http(s) URL such as http://127.0.0.1:8080")
	case cfg.Rate < 1 || cfg.Rate > MaxRate:
		return nil, fmt.Errorf("loadtest: the rate must be 1 to %d requests per second", MaxRate)
	case cfg.Duration <= 0:
		return nil, errors.New("loadtest: the duration must be above 0")
	case cfg.MaxWorkers < 0 || cfg.Timeout < 0 || cfg.CheckoutRetries < 0:
		return nil, errors.New("loadtest: max workers, timeout and checkout retries cannot be negative")
	}
	if err := cat.Check(cfg.Mix); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxWorkers == 0 {
		cfg.MaxWorkers = max(100, cfg.Rate*int((cfg.Timeout+time.Second-1)/time.Second))
	}
	if cfg.RunID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		cfg.RunID = "lt" + hex.EncodeToString(b[:])
	}
	t := &http.Transport{
		// No proxy from the environment: the load goes where it is told.
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        cfg.MaxWorkers,
		MaxIdleConnsPerHost: cfg.MaxWorkers, // keep-alive as browsers do; no connection churn
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: cfg.Timeout,
	}
	r := &Runner{cfg: cfg, cat: cat, transport: t, planned: planned(cfg.Rate, cfg.Duration), pause: sleep}
	r.pages = &http.Client{Transport: t, CheckRedirect: noRedirects}
	return r, nil
}

// Config is the run's configuration with the defaults filled in.
func (r *Runner) Config() Config { return r.cfg }

// Planned is how many requests the schedule holds.
func (r *Runner) Planned() int { return r.planned }

// noRedirects: a redirect is an answer to record, not one to follow.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Run sends the planned requests on schedule, waits for the last answer and
// returns every record. Cancelling ctx stops the schedule; requests in
// flight end as canceled.
func (r *Runner) Run(ctx context.Context) *Results {
	start := time.Now()
	r.start.Store(&start)
	plan := newPlanner(r.cfg.Seed, r.cfg.Mix, r.cat, r.cfg.RunID)
	sched := newSchedule(r.cfg.Rate, r.cfg.Duration)
	workers := make(chan struct{}, r.cfg.MaxWorkers) // a token per request in flight
	var wg sync.WaitGroup
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	r.records = make([]Record, 0, min(r.planned+r.planned/50, 1<<20))
loop:
	for seq := 0; ; seq++ {
		at, ok := sched.next()
		if !ok {
			break
		}
		if wait := time.Until(start.Add(at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		r.dispatch(ctx, plan.next(seq, at), workers, &wg)
	}
	wg.Wait()
	r.transport.CloseIdleConnections()
	res := &Results{Start: start, Config: r.cfg, Planned: r.planned, Elapsed: time.Since(start)}
	r.mu.Lock()
	res.Records = r.records
	r.mu.Unlock()
	slices.SortFunc(res.Records, func(a, b Record) int {
		if a.Seq != b.Seq {
			return a.Seq - b.Seq
		}
		return a.Attempt - b.Attempt
	})
	return res
}

// dispatch sends st on a worker of its own, or records it as not sent when
// every worker is busy: the schedule never waits for one.
func (r *Runner) dispatch(ctx context.Context, st step, workers chan struct{}, wg *sync.WaitGroup) {
	select {
	case workers <- struct{}{}:
		wg.Add(1)
		r.inFlight.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-workers; r.inFlight.Add(-1) }()
			r.do(ctx, st)
		}()
	default:
		r.notSent(st, Failed, Saturated, fmt.Sprintf("all %d workers busy", r.cfg.MaxWorkers))
		if st.done != nil {
			wg.Add(1)
			go func() { // keep the shopper's order without holding a worker
				defer wg.Done()
				<-st.after
				close(st.done)
			}()
		}
	}
}

// Progress is safe to call while Run runs.
func (r *Runner) Progress() Progress {
	p := Progress{Planned: r.planned, Sent: int(r.sent.Load()), Failed: int(r.failed.Load()), InFlight: int(r.inFlight.Load())}
	if s := r.start.Load(); s != nil {
		p.Elapsed = time.Since(*s)
	}
	return p
}

// do runs one step: a page view, an add to the cart, or a checkout (sent
// again with its key while it fails in a retryable way).
func (r *Runner) do(ctx context.Context, st step) {
	sh := st.shopper
	if sh == nil {
		r.send(ctx, st, 1)
		return
	}
	<-st.after
	defer close(st.done)
	switch st.kind {
	case Cart:
		if r.send(ctx, st, 1).Outcome == OK {
			sh.hasCart = true
		}
	case Checkout:
		if !sh.hasCart {
			r.notSent(st, Skipped, NoCart, "no add to this shopper's cart succeeded")
			return
		}
		for attempt := 1; ; attempt++ {
			rec := r.send(ctx, st, attempt)
			if rec.Outcome == OK {
				sh.hasCart = false
				return
			}
			if !rec.Cause.retryable() || attempt > r.cfg.CheckoutRetries || ctx.Err() != nil {
				return
			}
			r.pause(ctx, backoff(attempt, rec.retryAfter))
		}
	}
}

// Waits before a checkout is sent again: what the store's Retry-After
// asks, up to maxRetryAfter; without one, minBackoff doubling per attempt
// up to maxBackoff.
const (
	minBackoff    = 100 * time.Millisecond
	maxBackoff    = 2 * time.Second
	maxRetryAfter = 5 * time.Second
)

func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	return min(minBackoff<<min(attempt-1, 10), maxBackoff)
}

// sleep waits d, or less if ctx ends first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// notSent records a planned request that was never sent.
func (r *Runner) notSent(st step, o Outcome, c Cause, msg string) {
	rec := st.record(1)
	rec.Outcome, rec.Cause, rec.Error = o, c, msg
	r.add(rec)
}

func (r *Runner) add(rec Record) {
	if rec.Outcome == Failed {
		r.failed.Add(1)
	}
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
	if r.onRecord != nil {
		r.onRecord(rec)
	}
}

// record is the part of a Record the plan knows.
func (st step) record(attempt int) Record {
	rec := Record{Seq: st.seq, Attempt: attempt, Kind: st.kind, Method: st.method, Path: st.path,
		Planned: st.planned, Sent: -1, IdempotencyKey: st.key}
	if st.shopper != nil {
		rec.Shopper = st.shopper.id
	}
	return rec
}
