package balance

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"agora/internal/clocktest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// timer is one call of a fakeAfter: the test fires it by sending on c.
type timer struct {
	d time.Duration
	c chan time.Time
}

// fakeAfter stands for time.After. Each call is handed to the test, which
// learns that way that a goroutine is waiting (a health checker between
// checks, an Acquire in the queue) and fires it when it wants.
type fakeAfter chan timer

func newFakeAfter() fakeAfter { return make(fakeAfter, 64) }

func (f fakeAfter) After(d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	f <- timer{d, c}
	return c
}

// quiet is a logger for pools under test.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testPool is a pool on a hand-moved clock and a seeded random source.
func testPool(t *testing.T, cfg Config) (*Pool, *clocktest.Clock) {
	t.Helper()
	clk := clocktest.New(t0)
	cfg.Now = clk.Now
	if cfg.After == nil {
		cfg.After = newFakeAfter().After
	}
	if cfg.Selector == nil {
		cfg.Selector = &LeastRequest{Rand: rand.New(rand.NewPCG(1, 2)).IntN}
	}
	cfg.Log = quiet
	p := New(cfg)
	t.Cleanup(p.Close)
	return p, clk
}

func urls(t *testing.T, ss ...string) []*url.URL {
	t.Helper()
	out := make([]*url.URL, len(ss))
	for i, s := range ss {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = u
	}
	return out
}

// byURL finds the member of p with URL s.
func byURL(t *testing.T, p *Pool, s string) *Backend {
	t.Helper()
	for _, b := range p.Members() {
		if b.URL.String() == s {
			return b
		}
	}
	t.Fatalf("no member %s", s)
	return nil
}

// shares picks n times and counts the picks per URL.
func shares(t *testing.T, p *Pool, n int, key func(i int) string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := range n {
		k := ""
		if key != nil {
			k = key(i)
		}
		c, err := p.Pick(k)
		if err != nil {
			t.Fatal(err)
		}
		got[c.Backend.URL.String()]++
	}
	return got
}

func near(got, want, tol float64) bool { return got >= want-tol && got <= want+tol }
