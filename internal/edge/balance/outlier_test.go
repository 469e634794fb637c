package balance

import (
	"context"
	"testing"
	"time"
)

// fail reports n requests to b with outcome o.
func fail(t *testing.T, b *Backend, n int, o Outcome) {
	t.Helper()
	for range n {
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.Release(Result{Outcome: o, Latency: time.Millisecond})
	}
}

func TestOutlierEjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		members int
		// run reports outcomes and moves the clock; it returns the
		// backends it expects ejected.
		run  func(t *testing.T, p *Pool, clk interface{ Advance(time.Duration) }, m []*Backend) []*Backend
		want []time.Duration // ejected until t0+these, in order of the returned backends
	}{
		{"five in a row eject", 4, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 5, ConnectFailure)
			return m[:1]
		}, []time.Duration{30 * time.Second}},
		{"every kind of failure counts", 4, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			for _, o := range []Outcome{ConnectFailure, Reset, ServerError, Timeout, ServerError} {
				fail(t, m[0], 1, o)
			}
			return m[:1]
		}, []time.Duration{30 * time.Second}},
		{"a success starts the count again", 4, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 4, ServerError)
			fail(t, m[0], 1, Success)
			fail(t, m[0], 4, ServerError)
			return nil
		}, nil},
		{"a client gone says nothing", 4, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 4, Timeout)
			fail(t, m[0], 3, Canceled)
			fail(t, m[0], 1, Timeout)
			return m[:1]
		}, []time.Duration{30 * time.Second}},
		{"at most half the pool", 4, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			for _, b := range m[:3] {
				fail(t, b, 5, ServerError)
			}
			return m[:2]
		}, []time.Duration{30 * time.Second, 30 * time.Second}},
		{"never the only backend", 1, func(t *testing.T, p *Pool, _ interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 20, ConnectFailure)
			return nil
		}, nil},
		{"ejected again: twice as long", 4, func(t *testing.T, p *Pool, clk interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 5, ServerError)
			clk.Advance(30 * time.Second) // back
			fail(t, m[0], 5, ServerError)
			return m[:1]
		}, []time.Duration{30*time.Second + 60*time.Second}},
		{"capped", 4, func(t *testing.T, p *Pool, clk interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			for i := range 12 {
				fail(t, m[0], 5, ServerError)
				if i < 11 {
					clk.Advance(p.Members()[0].status(p.now()).EjectedUntil.Sub(p.now()))
				}
			}
			return m[:1]
		}, nil},
		{"forgiven after good behaviour", 4, func(t *testing.T, p *Pool, clk interface{ Advance(time.Duration) }, m []*Backend) []*Backend {
			fail(t, m[0], 5, ServerError)
			clk.Advance(30 * time.Second)
			fail(t, m[0], 5, ServerError) // 60 s
			clk.Advance(60 * time.Second)
			clk.Advance(20 * time.Second) // two intervals: the multiplier 2 is 0
			fail(t, m[0], 5, ServerError)
			return m[:1]
		}, []time.Duration{30*time.Second + 60*time.Second + 20*time.Second + 30*time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, clk := testPool(t, Config{})
			p.Set(urls(t, abcd[:tc.members]...))
			m := p.Members()
			want := tc.run(t, p, clk, m)
			now := p.now()
			for _, b := range m {
				ejected := b.State() == Ejected
				if ejected != contains(names(want), b.URL.String()) {
					t.Errorf("%v: state %v, want ejected %v", b, b.State(), !ejected)
				}
			}
			if got := shares(t, p, 1000, nil); len(want) > 0 && got[want[0].URL.String()] != 0 {
				t.Errorf("an ejected backend was picked %d times", got[want[0].URL.String()])
			}
			for i, d := range tc.want {
				if until := want[i].status(now).EjectedUntil; !until.Equal(t0.Add(d)) {
					t.Errorf("%v ejected until t0+%v, want t0+%v", want[i], until.Sub(t0), d)
				}
			}
			if tc.name == "capped" {
				if d := want[0].status(now).EjectedUntil.Sub(now); d != 300*time.Second {
					t.Errorf("ejected for %v, want the cap, 300 s", d)
				}
			}
		})
	}
}

func names(bs []*Backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.URL.String())
	}
	return out
}

// TestEjectionEnds: at the end of its ejection a backend takes requests
// again, slow-starting.
func TestEjectionEnds(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{SlowStart: 10 * time.Second})
	p.Set(urls(t, abcd[:2]...))
	a := p.Members()[0]
	fail(t, a, 5, ServerError)
	clk.Advance(30*time.Second - 1)
	if st := a.State(); st != Ejected {
		t.Fatalf("before the end: %v", st)
	}
	clk.Advance(1)
	if st := a.State(); st != SlowStart {
		t.Fatalf("at the end: %v, want slow-start", st)
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] == 0 {
		t.Error("not picked after the ejection ended")
	}
	fail(t, a, 1, Success) // the next report records the end
	if st := a.status(p.now()); st.State != SlowStart || st.Ejections != 1 || st.Failures != 5 {
		t.Errorf("status %+v", st)
	}
}
