package balance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var abcd = []string{"http://a:1", "http://b:1", "http://c:1", "http://d:1"}

func TestRoundRobinExactShares(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{Selector: &RoundRobin{}})
	p.Set(urls(t, abcd[:3]...))
	got := shares(t, p, 9999, nil)
	for _, u := range abcd[:3] {
		if got[u] != 3333 {
			t.Errorf("%s: %d picks, want 3333", u, got[u])
		}
	}
}

func TestLeastRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, p *Pool)
		want  map[string]float64 // share of 10,000 picks, ±0.02
	}{
		{"idle: even", func(*testing.T, *Pool) {}, map[string]float64{abcd[0]: .25, abcd[1]: .25, abcd[2]: .25, abcd[3]: .25}},
		{"a backend with many in flight gets none", func(t *testing.T, p *Pool) {
			a := byURL(t, p, abcd[0])
			for range 10 {
				if err := a.Acquire(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() {
				for range 10 {
					a.Release(Result{})
				}
			})
		}, map[string]float64{abcd[0]: 0, abcd[1]: 1. / 3, abcd[2]: 1. / 3, abcd[3]: 1. / 3}},
		{"a slow backend gets none, even idle", func(t *testing.T, p *Pool) {
			for i, u := range abcd {
				d := 5 * time.Millisecond
				if i == 0 {
					d = 300 * time.Millisecond
				}
				b := byURL(t, p, u)
				b.Acquire(context.Background())
				b.Release(Result{Latency: d})
			}
		}, map[string]float64{abcd[0]: 0, abcd[1]: 1. / 3, abcd[2]: 1. / 3, abcd[3]: 1. / 3}},
		{"a backend failing fast does not look fast", func(t *testing.T, p *Pool) {
			for i, u := range abcd {
				b := byURL(t, p, u)
				b.Acquire(context.Background())
				if i == 0 {
					// Refused at once: a dead backend, not a fast one.
					b.Release(Result{Outcome: ConnectFailure, Latency: 100 * time.Microsecond})
					continue
				}
				b.Release(Result{Latency: 5 * time.Millisecond})
			}
		}, map[string]float64{abcd[0]: 0, abcd[1]: 1. / 3, abcd[2]: 1. / 3, abcd[3]: 1. / 3}},
		{"latencies a little apart: still even", func(t *testing.T, p *Pool) {
			// Before: the backend measured 0.5 ms faster won every draw
			// it was in, so two equal apps split 80/20 (issue 10, DNS e2e).
			for i, u := range abcd {
				b := byURL(t, p, u)
				b.Acquire(context.Background())
				b.Release(Result{Latency: 5*time.Millisecond + time.Duration(i)*400*time.Microsecond})
			}
		}, map[string]float64{abcd[0]: .25, abcd[1]: .25, abcd[2]: .25, abcd[3]: .25}},
		{"a backend not heard from counts as the mean", func(t *testing.T, p *Pool) {
			for _, u := range abcd[1:] {
				b := byURL(t, p, u)
				b.Acquire(context.Background())
				b.Release(Result{Latency: 5 * time.Millisecond})
			}
		}, map[string]float64{abcd[0]: .25, abcd[1]: .25, abcd[2]: .25, abcd[3]: .25}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := testPool(t, Config{})
			p.Set(urls(t, abcd...))
			tc.setup(t, p)
			got := shares(t, p, 10000, nil)
			for u, w := range tc.want {
				if s := float64(got[u]) / 10000; !near(s, w, 0.02) {
					t.Errorf("%s: share %.3f, want %.3f", u, s, w)
				}
			}
		})
	}
}

func TestLeastRequestFollowsWeights(t *testing.T) {
	t.Parallel()
	s := &LeastRequest{Rand: rand.New(rand.NewPCG(3, 4)).IntN}
	p, _ := testPool(t, Config{Selector: s})
	p.Set(urls(t, abcd[:2]...))
	m := p.Members()
	cands := []Candidate{{m[0], 1}, {m[1], 0.25}}
	n := 0
	for range 10000 {
		if s.Select(cands, "") == m[1] {
			n++
		}
	}
	if got := float64(n) / 10000; !near(got, 0.2, 0.02) {
		t.Fatalf("weight 0.25 against 1: share %.3f, want 0.2", got)
	}
}

func TestHashStable(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{Selector: &Hash{}})
	five := append(abcd, "http://e:1")
	p.Set(urls(t, five...))
	key := func(i int) string { return fmt.Sprintf("/p/%d", i) }
	first := map[string]string{}
	count := map[string]int{}
	for i := range 10000 {
		c, _ := p.Pick(key(i))
		first[key(i)] = c.Backend.URL.String()
		count[c.Backend.URL.String()]++
	}
	for _, u := range five {
		if s := float64(count[u]) / 10000; !near(s, 0.2, 0.02) {
			t.Errorf("%s: share %.3f, want 0.2", u, s)
		}
	}
	moved := func(set []string) (moved int, wrong int) {
		p.Set(urls(t, set...))
		for i := range 10000 {
			c, _ := p.Pick(key(i))
			was, now := first[key(i)], c.Backend.URL.String()
			if was == now {
				continue
			}
			moved++
			// Removing: only the removed backend's keys move. Adding:
			// keys move only to the new backend.
			if contains(set, was) && now != "http://f:1" {
				wrong++
			}
		}
		return moved, wrong
	}
	for _, tc := range []struct {
		name string
		set  []string
		want float64
	}{
		{"same set", five, 0},
		{"c removed", []string{abcd[0], abcd[1], abcd[3], "http://e:1"}, 0.2},
		{"f added", append(five, "http://f:1"), 1. / 6},
	} {
		n, wrong := moved(tc.set)
		if s := float64(n) / 10000; !near(s, tc.want, 0.02) || wrong > 0 {
			t.Errorf("%s: %.3f of keys moved (want %.3f), %d to a backend that was there", tc.name, s, tc.want, wrong)
		}
	}
	// A retry excluding the key's backend goes to another, the same each time.
	p.Set(urls(t, five...))
	c1, _ := p.Pick("/x")
	c2, _ := p.Pick("/x", c1.Backend)
	c3, _ := p.Pick("/x", c1.Backend)
	if c2.Backend == c1.Backend || c3.Backend != c2.Backend {
		t.Errorf("retry of /x: %v then %v, %v", c1.Backend, c2.Backend, c3.Backend)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
