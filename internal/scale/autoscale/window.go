package autoscale

import (
	"math"
	"time"
)

// observation is what one tick's windows say.
type observation struct {
	ready      int
	stable     float64 // mean in-flight over StableWindow
	panic      float64 // mean in-flight over PanicWindow
	wantStable int     // need(stable), not clamped
	wantPanic  int     // need(panic), not clamped
	peak       float64 // highest in-flight over ScaleDownDelay
	maxRec     int     // highest per-tick recommendation over ScaleDownDelay
}

// observe records this tick's in-flight count and reads the windows.
// Windows are half-open, (now − w, now], so a tick exactly one window old
// has left it.
func (a *Autoscaler) observe(now time.Time, inFlight float64) observation {
	a.points = append(a.points, point{at: now, inFlight: inFlight, rec: a.recommend(inFlight)})
	keep := max(a.cfg.StableWindow, a.cfg.ScaleDownDelay)
	i := 0
	for i < len(a.points) && !a.points[i].at.After(now.Add(-keep)) {
		i++
	}
	a.points = append(a.points[:0], a.points[i:]...)

	o := observation{stable: a.mean(now, a.cfg.StableWindow), panic: a.mean(now, a.cfg.PanicWindow)}
	o.wantStable, o.wantPanic = a.need(o.stable), a.need(o.panic)
	since := now.Add(-a.cfg.ScaleDownDelay)
	for j := len(a.points) - 1; j >= 0 && a.points[j].at.After(since); j-- {
		o.peak = max(o.peak, a.points[j].inFlight)
		o.maxRec = max(o.maxRec, a.points[j].rec)
	}
	return o
}

// mean is the average in-flight count of the ticks within w of now (the
// newest tick is always within).
func (a *Autoscaler) mean(now time.Time, w time.Duration) float64 {
	since := now.Add(-w)
	sum, n := 0.0, 0
	for j := len(a.points) - 1; j >= 0 && a.points[j].at.After(since); j-- {
		sum += a.points[j].inFlight
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// need is the instances an in-flight count asks for at the target.
func (a *Autoscaler) need(inFlight float64) int {
	// The epsilon keeps a float sum that lands a hair over a multiple of
	// the target (60.000000001 for 60) from asking for one more instance.
	return int(math.Ceil(inFlight/a.cfg.TargetInFlight - 1e-9))
}

// recommend is the size one tick's reading asks for, the HPA's way:
// the current size while the reading is within Tolerance of it, else
// what the reading needs (not clamped: decide clamps, and says so).
func (a *Autoscaler) recommend(inFlight float64) int {
	if a.within(inFlight) {
		return a.size
	}
	return a.need(inFlight)
}

// within reports whether inFlight is within Tolerance of what the current
// size serves at the target.
func (a *Autoscaler) within(inFlight float64) bool {
	ratio := inFlight / (a.cfg.TargetInFlight * float64(a.size))
	return math.Abs(ratio-1) <= a.cfg.Tolerance
}

func (a *Autoscaler) clamp(n int) int { return min(max(n, a.cfg.Min), a.cfg.Max) }
