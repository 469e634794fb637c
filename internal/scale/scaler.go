package scale

import (
	"context"
	"sync"
	"time"

	"agora/internal/edge/balance"
	"agora/internal/scale/autoscale"
)

// DefaultTick is how often the Scaler reads the load: Knative's tick.
const DefaultTick = 2 * time.Second

// DefaultHistory is how many ticks the Scaler keeps for the status page's
// plot: five minutes at DefaultTick.
const DefaultHistory = 150

// Scaler applies the autoscaler's decisions to a Pool: each tick it reads
// the edge's load, asks the Autoscaler for a size and resizes the pool to
// it. It keeps the recent ticks for the status page. Set its fields, then
// Run; Status may be called concurrently.
type Scaler struct {
	Pool *Pool                 // required
	Auto *autoscale.Autoscaler // required; its clock is the Scaler's
	// Load reads the load of one tick; if nil, EdgeLoad(Pool.Edge).
	Load func() autoscale.Sample
	// Now stamps the ticks kept; if nil, time.Now.
	Now func() time.Time
	// History is how many ticks Status keeps; if 0, DefaultHistory.
	History int

	mu      sync.Mutex // protects the fields below
	points  []Point    // the last History ticks, oldest first
	desired int        // the size last decided (0 before the first tick)
	ups     uint64     // decisions that grew the pool
	downs   uint64     // decisions that shrank it
}

// Point is one tick as the plot shows it.
type Point struct {
	At       time.Time `json:"at"`
	Size     int       `json:"size"`  // instances kept after the tick
	Ready    int       `json:"ready"` // in the edge's pool, at the reading
	Desired  int       `json:"desired"`
	InFlight float64   `json:"in_flight"`
}

// Run ticks on every value of ticks until ctx ends.
func (sc *Scaler) Run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			sc.Step()
		}
	}
}

// Step is one tick: read, decide, resize, record.
func (sc *Scaler) Step() autoscale.Decision {
	load := sc.Load
	if load == nil {
		load = func() autoscale.Sample { return EdgeLoad(sc.Pool.Edge) }
	}
	s := load()
	d := sc.Auto.Tick(s)
	sc.Pool.Resize(d.To)
	now := time.Now
	if sc.Now != nil {
		now = sc.Now
	}
	keep := sc.History
	if keep <= 0 {
		keep = DefaultHistory
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	switch {
	case d.To > d.From:
		sc.ups++
	case d.To < d.From:
		sc.downs++
	}
	sc.desired = d.To
	sc.points = append(sc.points, Point{At: now(), Size: sc.Pool.Size(), Ready: s.Ready, Desired: d.To, InFlight: s.InFlight})
	if n := len(sc.points) - keep; n > 0 {
		sc.points = append(sc.points[:0], sc.points[n:]...)
	}
	return d
}

// EdgeLoad reads the load of the pool's available members (healthy or
// slow-starting): their count, their requests in flight (queued ones
// included, as balance counts them), their summed rate and their highest
// p95. Draining and joining members carry no new load, so they are left
// out.
func EdgeLoad(p *balance.Pool) autoscale.Sample {
	var s autoscale.Sample
	for _, b := range p.Status().Backends {
		if b.State != balance.Healthy && b.State != balance.SlowStart {
			continue
		}
		s.Ready++
		s.InFlight += float64(b.InFlight)
		s.RPS += b.RequestsPerSecond
		s.P95 = max(s.P95, time.Duration(b.LatencyP95ms*float64(time.Millisecond)))
	}
	return s
}
