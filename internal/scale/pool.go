// Package scale runs the app tier of `agora up` (DESIGN.md, "Autoscaler and
// supervisor"): a pool of app instances as child processes on loopback
// ports, each replaced with backoff when it crashes, grown and shrunk to
// the sizes the autoscaler (package autoscale) decides. It owns those
// processes and tells the edge's balance.Pool which of them take requests;
// it serves no request itself.
package scale

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"agora/internal/edge/balance"
)

// Defaults for zero Pool fields.
const (
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	DefaultStableAfter  = time.Minute
	DefaultStopTimeout  = 30 * time.Second
	DefaultDrainTimeout = 30 * time.Second
	// CrashLoopAfter is how many crashes in a row, each within StableAfter
	// of its start, are reported as a crash loop.
	CrashLoopAfter = 3
	// readyPoll is the pace of the /readyz probes of a starting instance:
	// it joins the edge's pool within a fraction of a second of passing.
	readyPoll = 100 * time.Millisecond
)

// State is where one of the pool's instances stands.
type State string

const (
	Starting State = "starting" // started, not yet passing /readyz
	Ready    State = "ready"    // in the edge's pool
	Backoff  State = "backoff"  // crashed; waiting before the restart
	Draining State = "draining" // removed: out of the edge's pool, finishing, then SIGTERM
)

// Pool keeps a number of app instances running. Set its fields, call Start
// once, Resize as often as needed, then Stop (or Kill) once; its other
// methods may be called concurrently at any time.
type Pool struct {
	// Path is the executable, Args its arguments (such as "app", "--listen",
	// "127.0.0.1:0", "--log-format", "json"). The child must log JSON lines
	// to stderr, announce its address with {"msg":"serving","url":…} and
	// answer GET /readyz. Required.
	Path string
	Args []string
	// Env is the child's environment; if nil, the parent's.
	Env []string
	// Log receives the children's log records, with "app: " before their
	// message, and the pool's own reports. If nil, slog.Default().
	Log *slog.Logger
	// Edge is the edge's pool. An instance joins it (as http://host:port)
	// once its /readyz passes, and leaves it, draining, before it is
	// stopped; a crashed one leaves it at once. Required.
	Edge *balance.Pool
	// Client probes /readyz; if nil, one with a one-second timeout.
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait before a restart, doubling
	// per crash in a row.
	MinBackoff, MaxBackoff time.Duration
	// StableAfter is how long an instance must run for its crash not to
	// count towards a crash loop.
	StableAfter time.Duration
	// StopTimeout is how long an instance gets after SIGTERM before SIGKILL.
	StopTimeout time.Duration
	// DrainTimeout bounds the wait, after an instance left the edge's
	// pool, for the requests the edge still has in flight to it; SIGTERM
	// follows (and the app's own drain).
	DrainTimeout time.Duration
	// ReadyTimeout bounds Reload's wait for each instance of the new
	// binary to pass /readyz; if 0, DefaultReadyTimeout.
	ReadyTimeout time.Duration

	initOnce sync.Once
	killed   chan struct{} // closed by Kill: no drain, no restart
	killOnce sync.Once
	pubMu    sync.Mutex // serialises publish, so the edge sees sets in order

	mu       sync.Mutex // protects everything below and every slot's fields marked so
	slots    []*slot    // the instances kept, oldest first
	retiring []*slot    // removed by Resize or Stop, not yet gone
	nextID   int
	closed   bool // Stop or Kill ran: Resize does nothing
	// drained are backends the edge's pool removed, by address, until the
	// slot that owned them takes them to wait for their drain.
	drained map[string]*balance.Backend
	reload  *ReloadStatus // the last reload; nil before the first
	// want is the size Resize asked for during a reload, applied after it.
	want int
}

// slot is one place in the pool: an instance, and its replacements.
type slot struct {
	id   int
	quit chan struct{} // closed by Resize or Stop: drain and stop
	done chan struct{} // closed once the loop returned and the instance is gone
	err  error         // how the instance ended after quit; read after done

	// protected by Pool.mu:
	state     State
	cur       *child
	addr      string // the instance's host:port, once it serves
	restarts  int
	crashes   int // in a row, each within StableAfter of its start
	crashLoop bool
	lastErr   string
}

// errKilled is how an instance ended by Kill is reported.
var errKilled = errors.New("scale: the app was killed without a drain")

// errQuit is a first attempt's result when the slot was removed first.
var errQuit = errors.New("scale: the app was stopped before it was ready")

// Start starts n instances and returns once one of them is ready (in the
// edge's pool); the others join as they become ready. If every first
// attempt fails before that, or ctx ends first, Start fails and nothing
// keeps running.
func (p *Pool) Start(ctx context.Context, n int) error {
	p.defaults()
	first := make(chan error, n)
	p.mu.Lock()
	for range n {
		p.add(first)
	}
	p.mu.Unlock()
	var errs []error
	for range n {
		select {
		case err := <-first:
			if err == nil {
				return nil
			}
			errs = append(errs, err)
			continue
		case <-ctx.Done():
			errs = []error{ctx.Err()}
		case <-p.killedChan():
			errs = []error{errKilled}
		}
		break
	}
	return errors.Join(append(errs, p.Stop())...)
}

// Resize grows or shrinks the pool to n instances. New instances join the
// edge's pool once ready. Removed ones are those serving least: one not
// ready yet, else the one with the fewest requests in flight at the edge
// (the newest of equals); each leaves the edge's pool, drains, and stops in
// the background. After Stop or Kill, Resize does nothing.
func (p *Pool) Resize(n int) {
	p.defaults()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.reload != nil && p.reload.Active {
		p.want = n // one change at a time: the reload counts on its slots
		return
	}
	for len(p.slots) < n {
		p.add(nil)
	}
	for len(p.slots) > n {
		i := p.victim()
		s := p.slots[i]
		p.slots = slices.Delete(p.slots, i, i+1)
		p.retire(s)
	}
}

// Size is the number of instances kept (ready or not), draining ones left
// out: what the pool converges to.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots)
}

// Stop drains and stops every instance (SIGTERM, then SIGKILL after
// StopTimeout), draining ones included, and reports how they ended. The
// edge should have stopped taking requests first.
func (p *Pool) Stop() error {
	p.defaults()
	p.mu.Lock()
	p.closed = true
	for _, s := range p.slots {
		p.retire(s)
	}
	p.slots = nil
	all := slices.Clone(p.retiring)
	p.mu.Unlock()
	var errs []error
	for _, s := range all {
		<-s.done
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	return errors.Join(errs...)
}

// Kill ends every instance at once with SIGKILL, without a drain, and
// returns once they are gone; nothing is restarted after it. It is for the
// operator's second Ctrl-C (or SIGTERM): a Stop already waiting for a
// drain returns then too. Safe to call at any time, more than once.
func (p *Pool) Kill() {
	p.killOnce.Do(func() { close(p.killedChan()) })
	p.mu.Lock()
	p.closed = true
	all := append(slices.Clone(p.slots), p.retiring...)
	p.mu.Unlock()
	for _, s := range all {
		<-s.done
	}
}

// killedChan is the channel Kill closes, made on first use: Kill may come
// before Start (a second signal while the first instances start).
func (p *Pool) killedChan() chan struct{} {
	p.initOnce.Do(func() { p.killed = make(chan struct{}) })
	return p.killed
}

func (p *Pool) defaults() {
	p.killedChan()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drained != nil {
		return
	}
	p.drained = map[string]*balance.Backend{}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: time.Second}
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = DefaultMinBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	if p.StableAfter <= 0 {
		p.StableAfter = DefaultStableAfter
	}
	if p.StopTimeout <= 0 {
		p.StopTimeout = DefaultStopTimeout
	}
	if p.DrainTimeout <= 0 {
		p.DrainTimeout = DefaultDrainTimeout
	}
	if p.ReadyTimeout <= 0 {
		p.ReadyTimeout = DefaultReadyTimeout
	}
}

// add starts a slot; first, if set, receives its first attempt's outcome.
// The caller holds p.mu.
func (p *Pool) add(first chan<- error) {
	p.nextID++
	s := &slot{id: p.nextID, quit: make(chan struct{}), done: make(chan struct{}), state: Starting}
	p.slots = append(p.slots, s)
	go p.run(s, first)
}

// retire tells s to drain and stop. The caller holds p.mu and has taken s
// out of p.slots.
func (p *Pool) retire(s *slot) {
	s.state = Draining
	p.retiring = append(p.retiring, s)
	close(s.quit)
}

// victim is the index in p.slots of the instance to remove. The caller
// holds p.mu.
func (p *Pool) victim() int {
	for i := len(p.slots) - 1; i >= 0; i-- {
		if p.slots[i].state != Ready {
			return i // serves nothing yet: nothing to drain
		}
	}
	load := map[string]int64{}
	for _, b := range p.Edge.Members() {
		load[b.URL.Host] = b.InFlight()
	}
	best := len(p.slots) - 1
	for i := best - 1; i >= 0; i-- {
		if load[p.slots[i].addr] < load[p.slots[best].addr] {
			best = i
		}
	}
	return best
}

// backoff doubles from MinBackoff per crash in a row, up to MaxBackoff.
func (p *Pool) backoff(crashes int) time.Duration {
	d := p.MinBackoff
	for i := 1; i < crashes && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.MaxBackoff)
}

// publish gives the edge's pool the ready instances, and keeps the
// backends it removed for their slots to wait on.
func (p *Pool) publish() {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.mu.Lock()
	var urls []*url.URL
	for _, s := range p.slots {
		if s.state == Ready {
			urls = append(urls, &url.URL{Scheme: "http", Host: s.addr})
		}
	}
	p.mu.Unlock()
	removed := p.Edge.Set(urls)
	p.mu.Lock()
	for _, b := range removed {
		p.drained[b.URL.Host] = b
	}
	p.mu.Unlock()
}

// leave takes s's instance out of the edge's pool and returns its backend
// there, draining (nil if it never joined or the edge's pool is closed).
func (p *Pool) leave(s *slot, state State) *balance.Backend {
	p.mu.Lock()
	if s.state == Ready { // retire may have said Draining already
		s.state = state
	}
	p.mu.Unlock()
	p.publish()
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.drained[s.addr]
	delete(p.drained, s.addr)
	return b
}
