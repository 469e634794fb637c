package autoscale

import (
	"fmt"
	"math"
	"time"
)

// updatePanic enters panic mode when the panic window asks for
// PanicThreshold × the current size, and leaves it once that has been
// false for a whole stable window (Knative). The threshold is measured
// against the size decided, not against Ready, so instances already asked
// for and still starting do not count as missing capacity a second time.
func (a *Autoscaler) updatePanic(now time.Time, o observation) {
	over := float64(o.wantPanic) >= a.cfg.PanicThreshold*float64(a.size)
	switch {
	case over:
		if !a.panicking {
			a.panicking = true
			a.cfg.Log.Info("autoscale: panic", "in_flight", round1(o.panic), "window", a.cfg.PanicWindow.String(),
				"needs", o.wantPanic, "size", a.size)
		}
		a.lastOver = now
	case a.panicking && now.Sub(a.lastOver) >= a.cfg.StableWindow:
		a.panicking = false
		a.cfg.Log.Info("autoscale: panic over", "size", a.size, "calm_for", a.cfg.StableWindow.String())
	}
}

// decide picks this tick's size and says why.
func (a *Autoscaler) decide(now time.Time, o observation) Decision {
	d := a.keep(now, "")
	from := a.size
	asked := 0 // what the load asked for, before Min, Max and the step bound
	target := a.cfg.TargetInFlight
	switch {
	case a.panicking:
		// Never down while panicking; take the larger figure, since after
		// a long rise the stable average can exceed the panic one.
		asked = max(o.wantPanic, o.wantStable)
		d.To, d.Reason = a.grow(from, max(from, asked)), fmt.Sprintf("panic: in-flight %.1f over the last %s across %s, target %g each → %d",
			o.panic, a.cfg.PanicWindow, instances(o.ready), target, max(o.wantPanic, o.wantStable))
		if d.To == from {
			d.Reason = fmt.Sprintf("%s; holding %d until the panic window has been calm for %s", d.Reason, from, a.cfg.StableWindow)
		}
	case o.wantStable > from && !a.within(o.stable):
		asked = o.wantStable
		d.To, d.Reason = a.grow(from, o.wantStable), fmt.Sprintf("in-flight %.1f averaged over %s across %s, target %g each → %d",
			o.stable, a.cfg.StableWindow, instances(o.ready), target, o.wantStable)
	case a.within(o.stable):
		d.Reason = fmt.Sprintf("in-flight %.1f averaged over %s across %s is within %g%% of target %g each: keeping %d",
			o.stable, a.cfg.StableWindow, instances(o.ready), a.cfg.Tolerance*100, target, from)
	default:
		// Down only to what every tick of the stabilization window (and the
		// stable average) allows: the busiest one decides.
		asked = max(o.maxRec, o.wantStable)
		if want := a.clamp(asked); want < from {
			d.To = want
			d.Reason = fmt.Sprintf("in-flight at most %.1f over the last %s (%.1f on average) across %s, target %g each → %d",
				o.peak, a.cfg.ScaleDownDelay, o.stable, instances(o.ready), target, max(o.maxRec, o.wantStable))
		} else {
			d.Reason = fmt.Sprintf("in-flight %.1f averaged over %s across %s, target %g each → %d; the busiest tick of the last %s needed %d: keeping %d",
				o.stable, a.cfg.StableWindow, instances(o.ready), target, o.wantStable, a.cfg.ScaleDownDelay, o.maxRec, from)
		}
	}
	d.Reason += a.bounds(from, d.To, asked)
	return d
}

// grow is want within [Min, Max] and the scale-up bound of one decision.
func (a *Autoscaler) grow(from, want int) int {
	return min(a.clamp(want), a.upLimit(from))
}

// upLimit is the most one decision may grow to from size n: the larger of
// the factor and the step (the HPA's default policies, selectPolicy Max).
func (a *Autoscaler) upLimit(n int) int {
	return max(int(math.Ceil(float64(n)*a.cfg.ScaleUpFactor)), n+a.cfg.ScaleUpStep)
}

// bounds says when Min, Max or the step bound, rather than the load, set
// the size: asked is what the load asked for.
func (a *Autoscaler) bounds(from, to, asked int) string {
	switch {
	case asked > a.cfg.Max && to == a.cfg.Max:
		return fmt.Sprintf(" (capped at --max %d)", a.cfg.Max)
	case to > from && to == a.upLimit(from) && asked > to:
		return fmt.Sprintf(" (at most %d in one step)", to)
	case to == a.cfg.Min && asked < to:
		return fmt.Sprintf(" (kept at --min %d)", a.cfg.Min)
	}
	return ""
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// instances is "1 instance", "3 instances".
func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", n)
}
