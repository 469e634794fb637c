package balance

import (
	"context"
	"log/slog"
	"math"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config is a Pool's behaviour. The zero value works: least request, no
// active checks, outlier ejection with Envoy's defaults, no slow start, no
// in-flight limit.
type Config struct {
	// Selector chooses among available backends; if nil, LeastRequest.
	Selector Selector
	// Check turns active health checks on; if nil, none, and a backend is
	// available as soon as it is added.
	Check *Check
	// Outlier is the passive ejection on failed requests.
	Outlier Outlier

	// SlowStart is the window over which a new or recovered backend's
	// weight ramps up; 0 turns slow start off.
	SlowStart time.Duration
	// Aggression shapes the ramp: weight = (elapsed/window)^(1/Aggression),
	// so 1 (the default) is linear and more sends traffic sooner (Envoy).
	Aggression float64
	// MinWeight is the weight a backend starts its ramp at, a fraction of
	// a full weight; if 0, 0.1 (Envoy's min_weight_percent).
	MinWeight float64

	// MaxInFlight limits the requests in flight per backend; 0 means no
	// limit. Over it a request waits in a queue of at most MaxQueue for at
	// most QueueTimeout (if 0, 100 ms), then fails with ErrOverloaded.
	MaxInFlight  int
	MaxQueue     int
	QueueTimeout time.Duration

	// Now and After are the clock; if nil, time.Now and time.After. Tests
	// move them by hand.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Rand, if set, is called for the checks' jitter, a float in [0, 1),
	// from every checker at once; if nil, math/rand/v2. Policies hold
	// their own.
	Rand func() float64
	// Log is where state changes are told; if nil, slog.Default().
	Log *slog.Logger
}

// Pool is the set of backends the edge balances over. Safe for concurrent
// use. Close it to stop its health checks.
type Pool struct {
	cfg Config
	sel Selector

	// members are the backends of the current set, in the order Set gave
	// them: replaced whole by Set, read without a lock by Pick.
	members atomic.Pointer[[]*Backend]

	ctx    context.Context // ends the health checkers
	cancel context.CancelFunc
	wg     sync.WaitGroup // the health checkers

	ejectMu sync.Mutex // serialises ejections, so two at once cannot pass MaxFraction together

	mu       sync.Mutex // protects draining, held and closed, and serialises Set
	draining []*Backend // removed, kept for Status until idle
	// held are the URLs an operator holds out (Hold), by URL rather than
	// backend, so that a re-resolution or a supervisor's Set that drops
	// and re-adds one does not bring it back before Unhold.
	held   map[string]bool
	closed bool
}

// New returns a pool with no backends; Set gives it some.
func New(cfg Config) *Pool {
	if cfg.Selector == nil {
		cfg.Selector = &LeastRequest{}
	}
	if cfg.Aggression <= 0 {
		cfg.Aggression = 1
	}
	if cfg.MinWeight <= 0 {
		cfg.MinWeight = 0.1
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Check != nil {
		c := cfg.Check.withDefaults()
		cfg.Check = &c
	}
	cfg.Outlier = cfg.Outlier.withDefaults()
	p := &Pool{cfg: cfg, sel: cfg.Selector}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.members.Store(&[]*Backend{})
	return p
}

func (p *Pool) now() time.Time                         { return p.cfg.Now() }
func (p *Pool) after(d time.Duration) <-chan time.Time { return p.cfg.After(d) }

// Members are the backends of the current set, draining ones left out.
func (p *Pool) Members() []*Backend { return slices.Clone(*p.members.Load()) }

// Set makes urls the pool's set. A URL already in it keeps its backend and
// state; a new one joins (after Rise passing checks, when checks are on;
// slow-starting after that); a backend whose URL is gone starts draining:
// it is picked no more, its in-flight requests finish, and Set returns it
// so the caller can Wait for it. Requests in flight are never cut.
func (p *Pool) Set(urls []*url.URL) (removed []*Backend) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	old := *p.members.Load()
	byURL := make(map[string]*Backend, len(old))
	for _, b := range old {
		byURL[b.URL.String()] = b
	}
	first := len(old) == 0
	now := p.now()
	next := make([]*Backend, 0, len(urls))
	for _, u := range urls {
		k := u.String()
		if b, ok := byURL[k]; ok {
			next = append(next, b)
			delete(byURL, k) // a URL given twice is one backend
			continue
		}
		if slices.ContainsFunc(next, func(b *Backend) bool { return b.URL.String() == k }) {
			continue
		}
		next = append(next, p.join(u, now, first))
	}
	for _, b := range old {
		if _, gone := byURL[b.URL.String()]; gone {
			b.drain()
			p.draining = append(p.draining, b)
			removed = append(removed, b)
			p.cfg.Log.Info("balance: backend draining", "backend", b.URL.String(), "in_flight", b.InFlight())
		}
	}
	p.members.Store(&next)
	p.pruneDrained()
	return removed
}

// join makes the backend of a URL new to the set. Without checks it is
// available at once, slow-starting unless it is part of the first set.
// The caller holds p.mu.
func (p *Pool) join(u *url.URL, now time.Time, first bool) *Backend {
	b := newBackend(p, u)
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.cfg.Check == nil {
		b.becomeUp(now)
		if first {
			b.health.since = time.Time{} // the whole pool starts at once: nothing to ramp against
		}
	} else {
		ctx, stop := context.WithCancel(p.ctx)
		b.health.stop = stop
		b.checkerDone = make(chan struct{})
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer close(b.checkerDone)
			p.checkLoop(ctx, b)
		}()
	}
	b.health.held = p.held[u.String()]
	b.publish()
	if b.health.held {
		p.cfg.Log.Info("balance: backend joined, held out by an operator", "backend", u.String())
	} else {
		p.cfg.Log.Info("balance: backend joined", "backend", u.String())
	}
	return b
}

// pruneDrained forgets draining backends with nothing left in flight.
// The caller holds p.mu.
func (p *Pool) pruneDrained() {
	p.draining = slices.DeleteFunc(p.draining, func(b *Backend) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.idleClosed
	})
}

// Close stops the health checks and waits for them to end. Backends keep
// serving what they have in flight; Set does nothing afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// rampWeight is the slow-start weight at now of a backend available since
// since: MinWeight rising to 1 over the window, shaped by Aggression.
func (p *Pool) rampWeight(now, since time.Time) float64 {
	w := p.cfg.SlowStart
	if w <= 0 || since.IsZero() {
		return 1
	}
	f := float64(now.Sub(since)) / float64(w)
	if f >= 1 {
		return 1
	}
	return max(p.cfg.MinWeight, math.Pow(max(f, 0), 1/p.cfg.Aggression))
}
