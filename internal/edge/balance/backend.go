package balance

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// State is where a backend stands; only Healthy and SlowStart backends take
// requests outside panic mode.
type State int

const (
	Joining   State = iota // added, waiting for its first Rise passing checks
	Healthy                // takes its full share
	SlowStart              // healthy, its share still ramping up
	Unhealthy              // failed Fall active checks in a row
	Ejected                // failed requests in a row; out until the ejection ends or a check passes
	Draining               // removed from the set: in-flight requests finish, no new ones
)

var stateNames = [...]string{"joining", "healthy", "slow-start", "unhealthy", "ejected", "draining"}

func (s State) String() string { return stateNames[s] }

// MarshalText makes a State read as its name in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Backend is one app server of a Pool. Its URL never changes; its state is
// changed by the pool's health checks, by the outcomes the edge reports, and
// by Pool.Set. Pick reads it without locks through view.
type Backend struct {
	URL  *url.URL
	pool *Pool
	hash uint64 // of URL, for Hash
	// sem holds one token per request being served, when the pool limits
	// in-flight requests per backend (nil otherwise).
	sem chan struct{}

	inflight atomic.Int64 // acquired and not released, queued ones included
	// progress is when b last completed a request, or last went from idle
	// to busy if later, in Unix nanoseconds: see stalled.
	progress atomic.Int64
	// answered is when b last completed a request without failing, in
	// Unix nanoseconds: a check that times out meanwhile is busy, not dead.
	answered  atomic.Int64
	queued    atomic.Int64 // waiting in Acquire for a slot of sem
	requests  atomic.Uint64
	failures  atomic.Uint64
	ejections atomic.Uint64
	retries   atomic.Uint64
	draining  atomic.Bool // mirrors health.draining for Acquire's fast path
	lat       latency

	view atomic.Pointer[view] // the state Pick reads, published under mu
	// out is cancelled when b goes out of the rotation (unhealthy or
	// ejected) and replaced when it is back: see Gone. Set under mu.
	out atomic.Pointer[outSignal]
	// checkerDone is closed when b's health checker has ended (nil
	// without checks): on removal from the set, or Close.
	checkerDone chan struct{}

	mu     sync.Mutex // protects health and idle
	health health
	idle   chan struct{} // made when draining starts, closed when inflight reaches 0
	// idleClosed: idle is closed, so an Acquire racing with the drain
	// must back off (Wait has returned).
	idleClosed bool
}

// outSignal is a context cancelled when its backend goes out.
type outSignal struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Gone is a context cancelled when b goes out of the rotation, unhealthy
// or ejected, or nil when b is out already. A request waiting on b for its
// answer's head may watch it and go to another backend at once when that
// is safe (origin.go): a hung backend then costs its waiting shoppers the
// time the checks take to see it, not the whole response-head timeout.
// Draining is not going out: what b holds then is meant to finish.
func (b *Backend) Gone() context.Context {
	s := b.out.Load()
	if s == nil || s.ctx.Err() != nil {
		return nil
	}
	return s.ctx
}

// UnmarshalText reads a State's name, so a client can decode Status.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("balance: unknown state %q", b)
}

// view is what Pick needs of a backend, replaced whole on every change.
type view struct {
	state State     // Healthy for both Healthy and SlowStart
	since time.Time // when it last became available: the slow start's origin
	until time.Time // end of the ejection, when Ejected
	known bool      // was available once: panic picks go to such backends
	held  bool      // an operator holds it out: not even panic picks go to it
}

func newBackend(p *Pool, u *url.URL) *Backend {
	b := &Backend{URL: u, pool: p, hash: hashString(u.String())}
	if p.cfg.MaxInFlight > 0 {
		b.sem = make(chan struct{}, p.cfg.MaxInFlight)
	}
	return b
}

// InFlight is the number of requests acquired on b and not yet released.
func (b *Backend) InFlight() int64 { return b.inflight.Load() }

func (b *Backend) String() string { return b.URL.String() }

// State is b's state at now.
func (b *Backend) State() State { return b.stateAt(b.pool.now()) }

func (b *Backend) stateAt(now time.Time) State {
	v := b.view.Load()
	switch {
	case v.state == Ejected && !now.Before(v.until):
		// The ejection ran out; the next report or check records it.
		return b.rampState(now, v.until)
	case v.state == Healthy:
		return b.rampState(now, v.since)
	}
	return v.state
}

func (b *Backend) rampState(now, since time.Time) State {
	if b.pool.rampWeight(now, since) < 1 {
		return SlowStart
	}
	return Healthy
}

// available reports whether b takes requests at now, and its weight.
func (b *Backend) available(now time.Time) (bool, float64) {
	v := b.view.Load()
	switch {
	case v.state == Healthy:
		return true, b.pool.rampWeight(now, v.since)
	case v.state == Ejected && !now.Before(v.until):
		return true, b.pool.rampWeight(now, v.until)
	}
	return false, 0
}

// Outcome is what became of one request to a backend, as the edge saw it.
type Outcome int

const (
	Success        Outcome = iota // any response but a 5xx
	ConnectFailure                // the connection could not be made
	Reset                         // the connection broke before the response
	ServerError                   // a 5xx response
	Timeout                       // no response in time
	Canceled                      // the client went away: says nothing of the backend
)

var outcomeNames = [...]string{"success", "connect-failure", "reset", "server-error", "timeout", "canceled"}

func (o Outcome) String() string { return outcomeNames[o] }

// failed reports whether o counts against the backend (outlier ejection).
func (o Outcome) failed() bool { return o >= ConnectFailure && o <= Timeout }

// Result is reported to Release for each acquired request.
type Result struct {
	Outcome Outcome
	Latency time.Duration // until the response head, or the failure
	Retry   bool          // the request was a retry of one sent elsewhere
}

// Acquire takes a request slot on b: at once, or after a wait in b's short
// queue when the pool limits in-flight requests per backend. It fails with
// ErrOverloaded when the queue is full or the wait times out, with
// ctx.Err() when ctx ends first, and with ErrDraining when b finished
// draining since it was picked: the caller picks again. Every nil return
// must be paired with one Release.
func (b *Backend) Acquire(ctx context.Context) error {
	if b.inflight.Add(1) == 1 {
		b.progress.Store(b.pool.now().UnixNano())
	}
	if b.draining.Load() {
		b.mu.Lock()
		closed := b.idleClosed
		b.mu.Unlock()
		if closed {
			b.done()
			return ErrDraining
		}
	}
	if b.sem != nil {
		if err := b.wait(ctx); err != nil {
			b.done()
			return err
		}
	}
	b.requests.Add(1)
	return nil
}

// wait takes a token of b.sem, queueing for at most QueueTimeout behind at
// most MaxQueue others: a bounded wait, never an unbounded queue (issue 10).
func (b *Backend) wait(ctx context.Context) error {
	select {
	case b.sem <- struct{}{}:
		return nil
	default:
	}
	if b.queued.Add(1) > int64(b.pool.cfg.MaxQueue) {
		b.queued.Add(-1)
		return ErrOverloaded
	}
	defer b.queued.Add(-1)
	timeout := b.pool.after(b.pool.cfg.QueueTimeout)
	select {
	case b.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return ErrOverloaded
	}
}

// Release ends a request taken by Acquire and records its result: latency,
// counters and, for a failure, the outlier detection that may eject b.
func (b *Backend) Release(r Result) {
	if b.sem != nil {
		<-b.sem
	}
	now := b.pool.now()
	if r.Retry {
		b.retries.Add(1)
	}
	if r.Outcome != Canceled {
		b.lat.record(now, r.Latency, r.Outcome.failed())
	}
	if r.Outcome.failed() {
		b.failures.Add(1)
	} else if r.Outcome != Canceled {
		b.answered.Store(now.UnixNano())
	}
	b.pool.report(b, r.Outcome, now)
	b.progress.Store(now.UnixNano())
	b.done()
}

// stalled is how long b has had requests in flight without completing
// any, in nanoseconds (0 when idle): a lower bound of its latency now,
// which its estimate, fed only by completions, cannot see while it hangs.
func (b *Backend) stalled(now time.Time) float64 {
	if b.inflight.Load() == 0 {
		return 0
	}
	return float64(max(now.UnixNano()-b.progress.Load(), 0))
}

// done takes one request off inflight and tells Wait when a draining
// backend has none left.
func (b *Backend) done() {
	if b.inflight.Add(-1) == 0 && b.draining.Load() {
		b.mu.Lock()
		b.closeIdle()
		b.mu.Unlock()
	}
}

// closeIdle closes idle if b has nothing in flight. The caller holds b.mu
// and has set draining.
func (b *Backend) closeIdle() {
	if !b.idleClosed && b.inflight.Load() == 0 {
		close(b.idle)
		b.idleClosed = true
	}
}

// drain stops new requests to b; in-flight ones finish.
func (b *Backend) drain() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.health.draining {
		return
	}
	b.health.draining = true
	b.idle = make(chan struct{})
	b.draining.Store(true)
	b.publish()
	b.closeIdle()
	if b.health.stop != nil {
		b.health.stop()
	}
}

// Wait blocks until b is draining and has no request in flight, or ctx
// ends. Pool.Set returns the backends it removed for this.
func (b *Backend) Wait(ctx context.Context) error {
	b.mu.Lock()
	idle := b.idle
	b.mu.Unlock()
	if idle == nil {
		return ErrNotDraining
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
