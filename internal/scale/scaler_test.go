package scale

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"agora/internal/scale/autoscale"
)

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestScalerBurstThenQuiet: the Scaler's wiring, on a hand-moved clock and
// ticker, with the load set by hand and real instances. A burst grows the
// pool at once through the panic path (bounded to +4); the pool converges
// to that size; when the load stops it shrinks back to Min only after the
// stable window, draining. Decisions are asserted, not durations.
func TestScalerBurstThenQuiet(t *testing.T) {
	p := newPool(t, "serve", &logSink{})
	clk := &clock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	auto, err := autoscale.New(autoscale.Config{Min: 2, Max: 8, TargetInFlight: 10, StableWindow: 60 * time.Second, Now: clk.Now, Log: p.Log})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	inFlight := 0.0
	sc := &Scaler{Pool: p, Auto: auto, Now: clk.Now, Load: func() autoscale.Sample {
		mu.Lock()
		defer mu.Unlock()
		return autoscale.Sample{Ready: p.Ready(), InFlight: inFlight}
	}}
	if err := p.Start(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both instances ready", func() bool { return p.Ready() == 2 })

	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sc.Run(ctx, ticks) }()
	ticked := 0
	tick := func() { // one tick, seen through: its point is in the history
		clk.add(2 * time.Second)
		ticks <- clk.Now()
		ticked++
		waitUntil(t, "the tick's point", func() bool { return len(sc.Status().History) == ticked })
	}
	for range 5 { // a quiet start: nothing changes
		tick()
	}
	if d := auto.Decisions(); len(d) != 0 {
		t.Fatalf("decisions without load: %+v", d)
	}

	// A burst: 200 in flight is 20 instances' worth; one step adds at most 4.
	mu.Lock()
	inFlight = 200
	mu.Unlock()
	tick()
	d := auto.Decisions()
	if len(d) != 1 || d[0].From != 2 || d[0].To != 6 || d[0].Mode != autoscale.Panic {
		t.Fatalf("after the burst: %+v, want 2 → 6 in panic mode", d)
	}
	// The load stops. The panic window still holds the burst at the next
	// tick: the pool may grow once more, to what the burst needed.
	mu.Lock()
	inFlight = 0
	mu.Unlock()
	tick()
	grown := auto.Size()
	if grown < 6 || grown > 7 {
		t.Fatalf("size after the burst's ticks: %d, want 6 or 7: %+v", grown, auto.Decisions())
	}
	waitUntil(t, "the grown pool ready", func() bool { return p.Ready() == grown })

	// The pool keeps its size for a whole stable window and then shrinks
	// to Min in one step.
	for range 20 { // 40 s: within the window
		tick()
	}
	for _, d := range auto.Decisions() {
		if d.To < d.From {
			t.Fatalf("shrank within the stable window: %+v", auto.Decisions())
		}
	}
	for range 60 {
		tick()
	}
	d = auto.Decisions()
	if last := d[len(d)-1]; last.To != 2 || last.Mode != autoscale.Stable {
		t.Fatalf("after the quiet: %+v, want a stable shrink to 2", d)
	}
	waitUntil(t, "the pool back at two instances, the others stopped", func() bool { return len(p.Instances()) == 2 && p.Ready() == 2 })
	cancel()
	<-done

	st := sc.Status()
	if st.Size != 2 || st.Desired != 2 || len(st.History) == 0 || len(st.Decisions) < 2 {
		t.Errorf("status: %+v", st)
	}
	if _, err := json.Marshal(st); err != nil {
		t.Error(err)
	}
	page := string(sc.HTML("n0nce"))
	for _, want := range []string{`<polyline id="scale-size-line" points="`, "2 → 6 (panic)", `nonce="n0nce"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page's section lacks %q:\n%s", want, page)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(sc)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for name, want := range map[string]float64{
		"agora_up_decisions_total{direction=up}": float64(len(auto.Decisions()) - 1), "agora_up_decisions_total{direction=down}": 1,
		"agora_up_pool_size": 2, "agora_up_desired_size": 2, "agora_up_pool_ready": 2, "agora_up_crash_looping": 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
