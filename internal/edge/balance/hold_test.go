package balance

import (
	"context"
	"errors"
	"slices"
	"testing"

	"agora/internal/fault"
)

// TestHold: a backend an operator holds out (the edge's drain API) is never
// picked, its request in flight finishes, Set does not bring it back while
// the URL stays in the set nor when the URL leaves and comes back, and
// Unhold does.
func TestHold(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{})
	p.Set(urls(t, abcd[:3]...))
	a := byURL(t, p, abcd[0])
	if err := a.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Hold(abcd[0]); err != nil {
		t.Fatal(err)
	}
	if a.State() != Draining {
		t.Errorf("held backend is %v, want draining", a.State())
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] != 0 || got[abcd[1]] == 0 || got[abcd[2]] == 0 {
		t.Errorf("picks while held: %v", got)
	}
	st := p.Status()
	if b := st.Backends[0]; b.URL != abcd[0] || b.State != Draining || !b.Held || b.InFlight != 1 {
		t.Errorf("status of the held backend: %+v", b)
	}
	if !slices.Equal(st.Held, []string{abcd[0]}) {
		t.Errorf("status held %v", st.Held)
	}
	a.Release(Result{}) // the request in flight finishes normally
	if a.InFlight() != 0 {
		t.Errorf("%d in flight after the release", a.InFlight())
	}

	// A re-resolution that gives the same set, then one without the held
	// URL, then one with it again: it stays out throughout.
	p.Set(urls(t, abcd[:3]...))
	if got := shares(t, p, 300, nil); got[abcd[0]] != 0 {
		t.Errorf("picked %d times after a Set of the same set", got[abcd[0]])
	}
	p.Set(urls(t, abcd[1:3]...))
	p.Set(urls(t, abcd[:3]...))
	if b := byURL(t, p, abcd[0]); b.State() != Draining {
		t.Errorf("re-added held backend is %v, want draining", b.State())
	}
	if got := shares(t, p, 300, nil); got[abcd[0]] != 0 {
		t.Errorf("picked %d times after leaving and rejoining the set", got[abcd[0]])
	}

	if _, err := p.Unhold(abcd[0]); err != nil {
		t.Fatal(err)
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] == 0 {
		t.Errorf("never picked after Unhold: %v", got)
	}
	if st := p.Status(); st.Backends[0].Held || st.Backends[0].State != Healthy || len(st.Held) != 0 {
		t.Errorf("status after Unhold: %+v held %v", st.Backends[0], st.Held)
	}
}

// TestHoldEveryMember: with every member held, nothing is picked, not even
// in panic mode: the operator took them out on purpose.
func TestHoldEveryMember(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{})
	p.Set(urls(t, abcd[:2]...))
	for _, u := range abcd[:2] {
		if _, err := p.Hold(u); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := p.Pick(""); !errors.Is(err, ErrNoBackend) {
		t.Errorf("Pick with every member held: %v, %v; want ErrNoBackend", c.Backend, err)
	}
}

// TestHoldUnknown: holding a URL that is not a member is an error the edge
// answers 404 with; so is unholding one that is neither a member nor held.
// Holding twice, or unholding a member not held, is harmless.
func TestHoldUnknown(t *testing.T) {
	t.Parallel()
	p, _ := testPool(t, Config{})
	p.Set(urls(t, abcd[:2]...))
	if _, err := p.Hold(abcd[3]); !errors.Is(err, ErrUnknownBackend) || fault.CodeOf(err) != fault.NotFound {
		t.Errorf("Hold of a stranger: %v", err)
	}
	if _, err := p.Unhold(abcd[3]); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("Unhold of a stranger: %v", err)
	}
	for range 2 {
		if _, err := p.Hold(abcd[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Unhold(abcd[0]); err != nil {
		t.Errorf("Unhold of a member not held: %v", err)
	}
	// Held and then gone from the set: still known, so it can be unheld.
	p.Set(urls(t, abcd[0]))
	if _, err := p.Unhold(abcd[1]); err != nil {
		t.Errorf("Unhold of a held URL gone from the set: %v", err)
	}
}
