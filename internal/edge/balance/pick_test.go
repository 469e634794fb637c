package balance

import (
	"errors"
	"testing"
	"time"
)

// TestPick: exclusions for retries, panic mode, and the empty pool.
func TestPick(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		members int
		down    []int // members made unavailable: 0..1 ejected (max half), the rest by checks
		exclude []int
		want    []int // the members Pick may return
		panic   bool
		err     error
	}{
		{"all healthy", 3, nil, nil, []int{0, 1, 2}, false, nil},
		{"retry goes elsewhere", 3, nil, []int{0}, []int{1, 2}, false, nil},
		{"down ones are skipped", 4, []int{0, 1}, nil, []int{2, 3}, false, nil},
		{"all down: panic to the known set", 2, []int{0, 1}, nil, []int{0, 1}, true, nil},
		{"the only available one excluded: panic", 3, []int{1, 2}, []int{0}, []int{1, 2}, true, nil},
		{"every member excluded", 2, nil, []int{0, 1}, nil, false, ErrNoBackend},
		{"empty pool", 0, nil, nil, nil, false, ErrNoBackend},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := testPool(t, Config{})
			p.Set(urls(t, abcd[:tc.members]...))
			m := p.Members()
			for _, i := range tc.down {
				b := m[i]
				b.mu.Lock()
				b.health.up = false // as Fall failed checks leave it
				b.publish()
				b.mu.Unlock()
			}
			var exclude []*Backend
			for _, i := range tc.exclude {
				exclude = append(exclude, m[i])
			}
			seen := map[int]bool{}
			for range 200 {
				c, err := p.Pick("", exclude...)
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				if err != nil {
					return
				}
				if c.Panic != tc.panic {
					t.Fatalf("panic %v, want %v", c.Panic, tc.panic)
				}
				i := indexOf(m, c.Backend)
				if !containsInt(tc.want, i) {
					t.Fatalf("picked member %d, want one of %v", i, tc.want)
				}
				seen[i] = true
			}
			if len(seen) != len(tc.want) {
				t.Errorf("picked %v, want all of %v", seen, tc.want)
			}
			// The pool panics when nothing is available; a retry, when
			// nothing but what it excludes is.
			if st := p.Status(); st.Panic != (tc.panic && len(tc.exclude) == 0) {
				t.Errorf("Status().Panic = %v", st.Panic)
			}
		})
	}
}

// TestPanicPrefersKnown: in panic, a backend that was never up (joining)
// is left out while some member was up once.
func TestPanicPrefersKnown(t *testing.T) {
	t.Parallel()
	fa := newFakeAfter()
	p, _ := testPool(t, Config{Check: &Check{}, After: fa.After})
	p.Set(urls(t, abcd[:2]...))
	m := p.Members()
	// Nothing up yet: a pool just started routes to all in panic.
	if got := shares(t, p, 200, nil); got[abcd[0]] == 0 || got[abcd[1]] == 0 {
		t.Errorf("new pool, all joining: %v", got)
	}
	m[0].mu.Lock()
	m[0].health.known = true // up once, down now
	m[0].publish()
	m[0].mu.Unlock()
	if got := shares(t, p, 200, nil); got[abcd[1]] != 0 {
		t.Errorf("a joining backend was picked in panic over a known one: %v", got)
	}
}

func indexOf(m []*Backend, b *Backend) int {
	for i, x := range m {
		if x == b {
			return i
		}
	}
	return -1
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestSlowStart: a backend that joins a running pool ramps its share from
// MinWeight up over the window.
func TestSlowStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		aggression float64
		at         time.Duration // after the join
		weight     float64
	}{
		{"at once: the minimum", 1, 0, 0.1},
		{"a quarter in", 1, 2500 * time.Millisecond, 0.25},
		{"half way", 1, 5 * time.Second, 0.5},
		{"done", 1, 10 * time.Second, 1},
		{"aggression 2, a quarter in", 2, 2500 * time.Millisecond, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, clk := testPool(t, Config{SlowStart: 10 * time.Second, Aggression: tc.aggression})
			p.Set(urls(t, abcd[0]))
			if st := p.Members()[0].State(); st != Healthy {
				t.Fatalf("the first set slow-starts: %v", st)
			}
			p.Set(urls(t, abcd[:2]...))
			clk.Advance(tc.at)
			b := byURL(t, p, abcd[1])
			want := Healthy
			if tc.weight < 1 {
				want = SlowStart
			}
			if st := b.status(p.now()); st.State != want || !near(st.Weight, tc.weight, 1e-9) {
				t.Errorf("state %v weight %v, want %v %v", st.State, st.Weight, want, tc.weight)
			}
			// Idle, equal backends: shares follow the weights.
			got := shares(t, p, 10000, nil)
			if s, w := float64(got[abcd[1]])/10000, tc.weight/(1+tc.weight); !near(s, w, 0.02) {
				t.Errorf("share %.3f, want %.3f", s, w)
			}
		})
	}
}
