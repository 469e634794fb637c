package autoscale

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Mode is how a decision was taken.
type Mode string

const (
	// Stable decisions rest on the stable window's average.
	Stable Mode = "stable"
	// Panic decisions rest on the panic window, after a burst.
	Panic Mode = "panic"
)

// Sample is what the edge reports for one tick.
type Sample struct {
	// Ready is the instances in the edge's pool that pass /readyz. A tick
	// with none says nothing about demand (the edge has nowhere to send
	// it) and changes nothing.
	Ready int
	// InFlight is the requests in flight at the edge for the whole pool,
	// those queued for a slot under --max-inflight included: queueing is
	// load the pool did not absorb. A mean over the tick is steadier than
	// a reading taken at the tick, but either works.
	InFlight float64
	// RPS and P95 are optional, for the reasons only: concurrency already
	// holds rate × latency (Little's law).
	RPS float64
	P95 time.Duration
}

// Decision is one tick's outcome: the pool goes From → To (equal when it
// keeps its size), with a sentence that gives the numbers behind it.
type Decision struct {
	At     time.Time `json:"at"`
	From   int       `json:"from"`
	To     int       `json:"to"`
	Mode   Mode      `json:"mode"`
	Reason string    `json:"reason"`
}

// Autoscaler turns samples into pool sizes. It starts at Config.Min (what
// the supervisor starts). Safe for concurrent use: the supervisor ticks
// while the status page reads.
type Autoscaler struct {
	cfg Config

	mu        sync.Mutex // protects everything below
	size      int        // the size last decided: what the supervisor converges to
	points    []point    // ticks within the longest window, oldest first
	panicking bool
	lastOver  time.Time  // the last tick whose panic window asked for PanicThreshold × size
	history   []Decision // changes of size, oldest first, at most cfg.History
}

// point is one tick, kept for the windows.
type point struct {
	at       time.Time
	inFlight float64
	rec      int // the size this tick alone recommended, for scale-down
}

// New checks cfg (see Config) and returns an Autoscaler at cfg.Min.
func New(cfg Config) (*Autoscaler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Autoscaler{cfg: cfg, size: cfg.Min}, nil
}

// Size is the pool size last decided.
func (a *Autoscaler) Size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.size
}

// Panicking reports whether the autoscaler is in panic mode.
func (a *Autoscaler) Panicking() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.panicking
}

// Decisions returns the last changes of size, oldest first: at most
// Config.History of them.
func (a *Autoscaler) Decisions() []Decision {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Decision(nil), a.history...)
}

// Tick takes one sample at the clock's now and returns the size the pool
// should have. Call it at a steady period (Knative ticks every 2 s); the
// windows are measured on the clock, so an irregular period only changes
// how many ticks each one averages.
func (a *Autoscaler) Tick(s Sample) Decision {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	if s.Ready <= 0 || math.IsNaN(s.InFlight) || math.IsInf(s.InFlight, 0) {
		return a.keep(now, fmt.Sprintf("no instance ready, so no load to read: keeping %d", a.size))
	}
	o := a.observe(now, max(s.InFlight, 0))
	o.ready = s.Ready
	a.updatePanic(now, o)
	d := a.decide(now, o)
	if s.RPS > 0 || s.P95 > 0 {
		d.Reason += fmt.Sprintf(" (%.0f req/s, p95 %s)", s.RPS, s.P95.Round(time.Millisecond))
	}
	if d.To == d.From {
		a.cfg.Log.Debug("autoscale: keep", "size", d.To, "mode", string(d.Mode), "reason", d.Reason)
		return d
	}
	a.size = d.To
	a.history = append(a.history, d)
	if n := len(a.history) - a.cfg.History; n > 0 {
		a.history = append(a.history[:0], a.history[n:]...)
	}
	a.cfg.Log.Info("autoscale: resize", "from", d.From, "to", d.To, "mode", string(d.Mode), "reason", d.Reason)
	return d
}

func (a *Autoscaler) keep(now time.Time, reason string) Decision {
	return Decision{At: now, From: a.size, To: a.size, Mode: a.mode(), Reason: reason}
}

func (a *Autoscaler) mode() Mode {
	if a.panicking {
		return Panic
	}
	return Stable
}
