package balance

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestDrain: a backend removed by Set gets no new picks, its request in
// flight finishes, Wait returns once it is idle, and Status shows it
// draining until then.
func TestDrain(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{})
	p.Set(urls(t, abcd[:2]...))
	a := byURL(t, p, abcd[0])
	if err := a.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(context.Background()); !errors.Is(err, ErrNotDraining) {
		t.Fatalf("Wait on a member: %v", err)
	}
	removed := p.Set(urls(t, abcd[1]))
	if len(removed) != 1 || removed[0] != a || a.State() != Draining {
		t.Fatalf("removed %v, state %v", removed, a.State())
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] != 0 {
		t.Errorf("a draining backend was picked %d times", got[abcd[0]])
	}
	waited := make(chan error, 1)
	go func() { waited <- a.Wait(context.Background()) }()
	st := p.Status()
	if len(st.Backends) != 2 || st.Backends[1].State != Draining || st.Backends[1].InFlight != 1 {
		t.Errorf("status while draining: %+v", st.Backends)
	}
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v with a request in flight", err)
	default:
	}
	a.Release(Result{})
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if err := a.Acquire(context.Background()); !errors.Is(err, ErrDraining) {
		t.Errorf("Acquire on a drained backend: %v, want ErrDraining", err)
	}
	if st := p.Status(); len(st.Backends) != 1 {
		t.Errorf("status after the drain: %+v", st.Backends)
	}
	// Back in the set: a new backend, joining afresh.
	p.Set(urls(t, abcd[:2]...))
	if b := byURL(t, p, abcd[0]); b == a || b.State() != Healthy {
		t.Errorf("re-added: same backend %v, state %v", b == a, b.State())
	}
}

// TestSetUnderLoad changes the set while requests run: every request that
// acquired a backend releases it, and every removed backend drains.
func TestSetUnderLoad(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{Selector: &LeastRequest{}})
	p.Set(urls(t, abcd...))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex // protects failed
	failed := 0
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := p.Pick("")
				if err == nil {
					err = c.Backend.Acquire(context.Background())
				}
				if err != nil {
					if !errors.Is(err, ErrDraining) {
						mu.Lock()
						failed++
						mu.Unlock()
					}
					continue
				}
				c.Backend.Release(Result{})
			}
		})
	}
	r := rand.New(rand.NewPCG(5, 6))
	var removed []*Backend
	for range 300 {
		set := make([]string, 0, len(abcd))
		for _, u := range abcd {
			if r.IntN(2) == 0 {
				set = append(set, u)
			}
		}
		if len(set) == 0 {
			set = abcd[:1]
		}
		removed = append(removed, p.Set(urls(t, set...))...)
	}
	close(stop)
	wg.Wait()
	if failed > 0 {
		t.Errorf("%d picks or acquires failed while the set changed", failed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // only if broken
	defer cancel()
	for _, b := range removed {
		if err := b.Wait(ctx); err != nil {
			t.Fatalf("%v never drained (%d in flight): %v", b, b.InFlight(), err)
		}
	}
	for _, b := range p.Members() {
		if n := b.InFlight(); n != 0 {
			t.Errorf("%v: %d in flight after every request ended", b, n)
		}
	}
	if len(removed) == 0 {
		t.Fatal("the test removed nothing")
	}
}
