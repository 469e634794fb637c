package autoscale

import (
	"log/slog"
	"runtime"
	"time"

	"agora/internal/fault"
)

// Defaults, for the flags of `agora up` and for zero fields of Config.
const (
	// DefaultMin keeps two instances, so that one crash never takes the
	// store down while its replacement starts.
	DefaultMin = 2
	// DefaultTargetInFlight is the concurrency one instance is sized for.
	// Knative's default (100) fits a container alone on its node; an app
	// process sharing two cores with the edge, the database and its peers
	// does better with a small figure that leaves headroom under its
	// --max-inflight, so that the panic window sees a burst before requests
	// queue. The ramp benchmark (bench/) is where it is checked.
	DefaultTargetInFlight = 10
	// DefaultStableWindow is Knative's stable window.
	DefaultStableWindow = 60 * time.Second
	// DefaultTolerance is the HPA's: no change while the load is within
	// 10 % of what the pool is sized for.
	DefaultTolerance = 0.1
	// DefaultPanicThreshold is Knative's 200 %: panic when the panic window
	// asks for twice the current size.
	DefaultPanicThreshold = 2.0
	// DefaultHistory is how many decisions the status page can show.
	DefaultHistory = 64

	// minStableWindow is Knative's minimum: a window shorter than a few
	// ticks averages nothing.
	minStableWindow = 6 * time.Second
)

// DefaultMax is twice the CPUs: app instances spend much of a request
// waiting on the database, so two per core keep the cores busy without
// letting processes crowd one another out.
func DefaultMax() int { return 2 * runtime.NumCPU() }

// Config is an Autoscaler's behaviour. Min and Max have no default, since
// a zero there is a mistake to report rather than to paper over (take
// DefaultMin and DefaultMax for the flags); every other zero field takes
// the default documented on it.
type Config struct {
	// Min and Max bound the pool: 1 ≤ Min ≤ Max.
	Min, Max int
	// TargetInFlight is the requests in flight one instance is sized for;
	// if 0, DefaultTargetInFlight.
	TargetInFlight float64
	// Tolerance is the fraction the load may stray from the target without
	// a change, in [0, 1); if 0, DefaultTolerance. (A tolerance of exactly
	// zero would resize on every wobble, so it is not offered.)
	Tolerance float64

	// StableWindow is what the stable mode averages over, at least 6 s; if
	// 0, DefaultStableWindow.
	StableWindow time.Duration
	// PanicWindow is what the panic mode averages over, shorter than
	// StableWindow; if 0, a tenth of StableWindow (Knative's 10 %).
	PanicWindow time.Duration
	// PanicThreshold is the multiple of the current size the panic window
	// must ask for to panic, above 1; if 0, DefaultPanicThreshold.
	PanicThreshold float64
	// ScaleDownDelay is the scale-down stabilization window: the pool
	// shrinks only to the largest size recommended over it. If 0,
	// StableWindow (the HPA's default is 300 s; see the package doc).
	ScaleDownDelay time.Duration

	// ScaleUpFactor and ScaleUpStep bound one decision's growth to the
	// larger of size × ScaleUpFactor and size + ScaleUpStep; if 0, 2 and
	// 4 (the HPA's default policies: 100 % or 4 pods, whichever is more).
	ScaleUpFactor float64
	ScaleUpStep   int

	// History is how many decisions Decisions keeps; if 0, DefaultHistory.
	History int

	// Now is the clock; if nil, time.Now. Tests move it by hand.
	Now func() time.Time
	// Log is where decisions are told; if nil, slog.Default().
	Log *slog.Logger
}

// withDefaults checks c and fills its zero fields. Errors are fault.Invalid
// with the flag they concern as Field, so `agora up` can name it.
func (c Config) withDefaults() (Config, error) {
	if c.Min < 1 {
		return c, fault.Field("min", "--min must be at least 1, so that an instance always serves (got %d)", c.Min)
	}
	if c.Max < c.Min {
		return c, fault.Field("max", "--max (%d) must be at least --min (%d)", c.Max, c.Min)
	}
	switch {
	case c.TargetInFlight == 0:
		c.TargetInFlight = DefaultTargetInFlight
	case !(c.TargetInFlight > 0): // also NaN
		return c, fault.Field("target-inflight", "--target-inflight must be above 0 (got %g)", c.TargetInFlight)
	}
	switch {
	case c.Tolerance == 0:
		c.Tolerance = DefaultTolerance
	case !(c.Tolerance > 0 && c.Tolerance < 1):
		return c, fault.Field("tolerance", "the tolerance must be above 0 and below 1, a fraction such as 0.1 (got %g)", c.Tolerance)
	}
	if c.StableWindow == 0 {
		c.StableWindow = DefaultStableWindow
	}
	if c.StableWindow < minStableWindow {
		return c, fault.Field("stable-window", "the stable window must be at least %s (got %s)", minStableWindow, c.StableWindow)
	}
	if c.PanicWindow == 0 {
		c.PanicWindow = c.StableWindow / 10
	}
	if c.PanicWindow < 0 || c.PanicWindow >= c.StableWindow {
		return c, fault.Field("panic-window", "the panic window (%s) must be above 0 and shorter than the stable window (%s)", c.PanicWindow, c.StableWindow)
	}
	switch {
	case c.PanicThreshold == 0:
		c.PanicThreshold = DefaultPanicThreshold
	case !(c.PanicThreshold > 1):
		return c, fault.Field("panic-threshold", "the panic threshold must be above 1, a multiple of the current size (got %g)", c.PanicThreshold)
	}
	if c.ScaleDownDelay == 0 {
		c.ScaleDownDelay = c.StableWindow
	}
	if c.ScaleDownDelay < 0 {
		return c, fault.Field("scale-down-delay", "the scale-down delay cannot be negative (got %s)", c.ScaleDownDelay)
	}
	if c.ScaleUpFactor == 0 {
		c.ScaleUpFactor = 2
	}
	if c.ScaleUpStep == 0 {
		c.ScaleUpStep = 4
	}
	if !(c.ScaleUpFactor >= 1) || c.ScaleUpStep < 0 {
		return c, fault.Field("scale-up", "scale-up bounds must let the pool grow: factor ≥ 1 and step ≥ 0 (got %g and %d)", c.ScaleUpFactor, c.ScaleUpStep)
	}
	if c.History <= 0 {
		c.History = DefaultHistory
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c, nil
}
