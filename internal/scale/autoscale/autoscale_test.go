package autoscale_test

import (
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/fault"
	"agora/internal/scale/autoscale"
)

// tick is the supervisor's period in these tests: Knative's tick interval.
const tick = 2 * time.Second

var epoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// sim plays the supervisor: every tick it reports the load a scenario
// gives and takes the size the autoscaler returns, with every instance
// ready at once (start-up delays are the supervisor's business).
type sim struct {
	t       *testing.T
	clk     *clocktest.Clock
	a       *autoscale.Autoscaler
	changes []autoscale.Decision
	last    autoscale.Decision // of the last tick, change or not
}

func newSim(t *testing.T, cfg autoscale.Config) *sim {
	t.Helper()
	clk := clocktest.New(epoch)
	cfg.Now = clk.Now
	cfg.Log = slog.New(slog.NewTextHandler(t.Output(), nil))
	a, err := autoscale.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, clk: clk, a: a}
}

// run ticks for d, the load being inFlight(elapsed since the run began).
func (s *sim) run(d time.Duration, inFlight func(time.Duration) float64) {
	s.t.Helper()
	for el := time.Duration(0); el < d; el += tick {
		s.clk.Advance(tick)
		dec := s.a.Tick(autoscale.Sample{Ready: s.a.Size(), InFlight: inFlight(el)})
		s.last = dec
		if dec.From != dec.To {
			s.changes = append(s.changes, dec)
		}
	}
}

func steady(v float64) func(time.Duration) float64 { return func(time.Duration) float64 { return v } }

// since returns how long after t0 the decision was taken.
func since(d autoscale.Decision, t0 time.Time) time.Duration { return d.At.Sub(t0) }

func TestSteadyLoadWithinToleranceKeepsThePool(t *testing.T) {
	t.Parallel()
	// 3 instances sized for 10 each, 32 in flight: 7 % over, inside the 10 %.
	s := newSim(t, autoscale.Config{Min: 3, Max: 8})
	s.run(10*time.Minute, steady(32))
	if len(s.changes) != 0 {
		t.Fatalf("a steady load within tolerance changed the pool: %+v", s.changes)
	}
	if d := s.a.Tick(autoscale.Sample{Ready: 3, InFlight: 32}); !strings.Contains(d.Reason, "within") {
		t.Errorf("a tick that keeps the pool should say the load is within tolerance, said %q", d.Reason)
	}
}

func TestRampGrowsStepByStepToWhatTheLoadNeeds(t *testing.T) {
	t.Parallel()
	// The ramp, 50 → 600 requests/s at 100 ms each: 5 → 60 in
	// flight over five minutes, then two minutes at the top.
	ramp := func(el time.Duration) float64 {
		if el >= 5*time.Minute {
			return 60
		}
		return 5 + 55*el.Seconds()/300
	}
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{
		{"the load's need", 8, 6},
		{"capped by max", 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, autoscale.Config{Min: 2, Max: tc.max})
			s.run(7*time.Minute, ramp)
			if got := s.a.Size(); got != tc.want {
				t.Fatalf("pool after the ramp = %d, want %d; decisions %+v", got, tc.want, s.changes)
			}
			if len(s.changes) < 2 {
				t.Fatalf("a slow ramp should grow the pool in steps, got %+v", s.changes)
			}
			for _, d := range s.changes {
				if d.To <= d.From || d.Mode != autoscale.Stable {
					t.Errorf("a slow ramp should only grow, in stable mode: %+v", d)
				}
			}
			if tc.max < 6 && !strings.Contains(s.last.Reason, "--max") {
				t.Errorf("a pool held at its max should say so: %q", s.last.Reason)
			}
		})
	}
}

func TestQuietShrinksToMinAfterTheStableWindowInOneDecision(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 2, Max: 8})
	s.run(3*time.Minute, steady(55)) // grows to 6
	if s.a.Size() != 6 {
		t.Fatalf("pool under load = %d, want 6", s.a.Size())
	}
	lastBusy := s.clk.Now()
	s.changes = nil
	s.run(3*time.Minute, steady(0))
	if len(s.changes) != 1 {
		t.Fatalf("quiet should shrink the pool in one decision, got %+v", s.changes)
	}
	d := s.changes[0]
	if d.From != 6 || d.To != 2 || d.Mode != autoscale.Stable {
		t.Errorf("decision = %+v, want 6 → 2 in stable mode", d)
	}
	if after := since(d, lastBusy); after < time.Minute || after > time.Minute+tick {
		t.Errorf("shrank %s after the last busy tick, want one stable window (1m0s)", after)
	}
}

func TestBurstTakesThePanicPathAtOnce(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 2, Max: 16})
	s.run(2*time.Minute, steady(15))
	if len(s.changes) != 0 || s.a.Panicking() {
		t.Fatalf("the baseline moved the pool: %+v", s.changes)
	}
	burst := s.clk.Now()
	s.run(30*time.Second, steady(150)) // 10×
	if len(s.changes) == 0 {
		t.Fatal("a 10× burst did not grow the pool")
	}
	first := s.changes[0]
	if first.Mode != autoscale.Panic || !strings.Contains(first.Reason, "panic") {
		t.Errorf("the first decision of a burst should be a panic: %+v", first)
	}
	if since(first, burst) > tick {
		t.Errorf("panic came %s after the burst, want the next tick", since(first, burst))
	}
	if first.To > 2*first.From && first.To > first.From+4 {
		t.Errorf("one step went %d → %d: more than the scale-up bound", first.From, first.To)
	}
	if got := s.a.Size(); got != 15 {
		t.Errorf("pool 30 s into the burst = %d, want 15", got)
	}

	// The burst ends: panic holds the pool for a stable window, then the
	// stable path shrinks it in one step.
	calm := s.clk.Now()
	s.changes = nil
	s.run(3*time.Minute, steady(15))
	if len(s.changes) != 1 || s.changes[0].To != 2 || s.changes[0].Mode != autoscale.Stable {
		t.Fatalf("after the burst the pool should shrink once to 2, got %+v", s.changes)
	}
	if since(s.changes[0], calm) < time.Minute {
		t.Errorf("shrank %s after the burst ended, inside the stable window", since(s.changes[0], calm))
	}
	if s.a.Panicking() {
		t.Error("still panicking three minutes after the burst")
	}
}

func TestNoisyLoadAroundTheTargetDoesNotFlap(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 11))
	s := newSim(t, autoscale.Config{Min: 2, Max: 12})
	// 40 in flight ± 30 % at every tick: the pool settles at 4 and stays.
	noisy := func(time.Duration) float64 { return 40 * (0.7 + 0.6*rng.Float64()) }
	s.run(3*time.Minute, noisy)
	settled := s.a.Size()
	if settled < 4 || settled > 5 {
		t.Fatalf("pool under 40 ± 30 %% in flight = %d, want 4 or 5", settled)
	}
	s.changes = nil
	s.run(30*time.Minute, noisy)
	if len(s.changes) != 0 {
		t.Fatalf("noise around the target changed the pool %d times: %+v", len(s.changes), s.changes)
	}
}

func TestTicksWithoutReadyInstancesDoNotShrink(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 2, Max: 8})
	s.run(2*time.Minute, steady(55))
	// Every instance down: the edge sees no in-flight requests, which says
	// nothing about demand.
	for range 60 {
		s.clk.Advance(tick)
		if d := s.a.Tick(autoscale.Sample{Ready: 0}); d.To != 6 {
			t.Fatalf("with no instance ready the pool went to %d", d.To)
		}
	}
}

func TestDecisionsAreKeptNewestLastAndBounded(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 1, Max: 4, History: 3})
	up := true
	for range 5 { // alternate busy and quiet long enough to move each time
		v := 0.0
		if up {
			v = 40
		}
		s.run(3*time.Minute, steady(v))
		up = !up
	}
	got := s.a.Decisions()
	if len(got) != 3 {
		t.Fatalf("kept %d decisions, want the last 3", len(got))
	}
	if want := s.changes[len(s.changes)-3:]; got[0] != want[0] || got[2] != want[2] {
		t.Errorf("kept %+v, want the newest %+v", got, want)
	}
}

func TestConfigErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg   autoscale.Config
		field string
		says  string
	}{
		{autoscale.Config{Min: 0, Max: 4}, "min", "at least 1"},
		{autoscale.Config{Min: -1, Max: 4}, "min", "at least 1"},
		{autoscale.Config{Min: 3, Max: 2}, "max", "at least --min"},
		{autoscale.Config{Min: 2, Max: 4, TargetInFlight: -1}, "target-inflight", "above 0"},
		{autoscale.Config{Min: 2, Max: 4, Tolerance: 1}, "tolerance", "below 1"},
		{autoscale.Config{Min: 2, Max: 4, StableWindow: time.Second}, "stable-window", "at least 6s"},
		{autoscale.Config{Min: 2, Max: 4, PanicWindow: time.Minute}, "panic-window", "shorter than the stable window"},
	} {
		_, err := autoscale.New(tc.cfg)
		if err == nil {
			t.Errorf("%+v: no error", tc.cfg)
			continue
		}
		if fault.CodeOf(err) != fault.Invalid || fault.FieldOf(err) != tc.field || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: error %q (field %q), want an invalid %s saying %q", tc.cfg, err, fault.FieldOf(err), tc.field, tc.says)
		}
	}
	if _, err := autoscale.New(autoscale.Config{Min: 2, Max: 2}); err != nil {
		t.Errorf("min = max is a fixed pool and valid: %v", err)
	}
}

func TestScaleUpIsBoundedPerDecision(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 2, Max: 30})
	s.run(time.Minute, steady(300)) // needs 30 at once
	want := []int{2, 6, 12, 24, 30} // ×2 or +4, whichever is more, per tick
	if len(s.changes) != len(want)-1 {
		t.Fatalf("got %+v, want the steps %v", s.changes, want)
	}
	for i, d := range s.changes {
		if d.From != want[i] || d.To != want[i+1] {
			t.Errorf("step %d = %d → %d, want %d → %d", i, d.From, d.To, want[i], want[i+1])
		}
	}
	if !strings.Contains(s.changes[0].Reason, "at most 6 in one step") {
		t.Errorf("a bounded step should say so: %q", s.changes[0].Reason)
	}
}

func TestStatusReadsWhileTicking(t *testing.T) {
	t.Parallel()
	s := newSim(t, autoscale.Config{Min: 2, Max: 8})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			_ = s.a.Decisions()
			_ = s.a.Size()
			_ = s.a.Panicking()
		}
	}()
	s.run(5*time.Minute, func(el time.Duration) float64 { return float64(el/time.Minute) * 15 })
	<-done
}
