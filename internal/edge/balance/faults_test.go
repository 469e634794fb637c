package balance

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRecoveredBackendForgetsItsFailures: a backend back from an ejection
// is not judged by the failures that ejected it. Each failure fed the
// latency estimate a one-second penalty, which decays over tens of
// seconds; kept, it made the least-request balancer pass the recovered
// backend over long after its slow start had ended (the flapping test,
// faults_e2e_test.go). Back, it counts as not heard from, so it takes the
// share its slow-start weight gives it.
func TestRecoveredBackendForgetsItsFailures(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{})
	p.Set(urls(t, abcd[:2]...))
	a, b := byURL(t, p, abcd[0]), byURL(t, p, abcd[1])
	for range 5 {
		if err := a.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.Release(Result{Outcome: ConnectFailure, Latency: time.Millisecond})
	}
	if st := a.State(); st != Ejected {
		t.Fatalf("after five failures: %v", st)
	}
	clk.Advance(30 * time.Second) // the ejection ends
	for range 10 {
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.Release(Result{Latency: 10 * time.Millisecond})
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] < 300 {
		t.Errorf("back from its ejection, a got %d of 1000 picks against a backend answering in 10 ms; want about half", got[abcd[0]])
	}
}

// TestHungBackendLosesItsShare: a backend that stops answering keeps the
// low latency estimate of its last answers, and its estimate decays
// further while nothing completes; against backends whose estimates are
// higher (a spike, a loaded host) the least-request balancer kept feeding
// it, its in-flight count alone too small a factor (14 requests sent to a
// stopped app in the hung-backend test, faults_e2e_test.go). Nothing
// completed for 2 s while it held two requests: its latency is at least
// that.
func TestHungBackendLosesItsShare(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{})
	p.Set(urls(t, abcd[:3]...))
	a, b, c := byURL(t, p, abcd[0]), byURL(t, p, abcd[1]), byURL(t, p, abcd[2])
	serve := func(be *Backend, d time.Duration) {
		t.Helper()
		if err := be.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		be.Release(Result{Latency: d})
	}
	serve(a, 10*time.Millisecond)
	serve(b, 300*time.Millisecond)
	serve(c, 300*time.Millisecond)
	if got := shares(t, p, 1000, nil); got[abcd[0]] < 500 {
		t.Fatalf("the fastest backend got %d of 1000 picks; want most", got[abcd[0]])
	}
	for range 2 { // never answered
		if err := a.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer a.Release(Result{Outcome: Timeout})
	}
	for range 20 {
		clk.Advance(100 * time.Millisecond)
		serve(b, 300*time.Millisecond)
		serve(c, 300*time.Millisecond)
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] > 0 {
		t.Errorf("a backend holding two requests for 2 s without an answer got %d of 1000 picks against backends answering in 300 ms; want none", got[abcd[0]])
	}
}

// TestSlowBackendAmongSpikyPeers: of three backends at 15 requests/s,
// one 300 ms slower on every request gets under 10% of them, while the
// others answer in 10-40 ms save 5% of requests 200-900 ms slower (a
// loaded host, a collection): the slow backend's share must not hang on
// its peers' spikes. Simulated on the pool's clock, event by event.
func TestSlowBackendAmongSpikyPeers(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{})
	p.Set(urls(t, abcd[:3]...))
	slow := p.Members()[0]
	r := rand.New(rand.NewPCG(3, 4))
	latency := func(b *Backend) time.Duration {
		d := time.Duration(10+r.IntN(30)) * time.Millisecond
		if r.Float64() < 0.05 {
			d += time.Duration(200+r.IntN(700)) * time.Millisecond
		}
		if b == slow {
			d += 300 * time.Millisecond
		}
		return d
	}
	var done completions
	next := clk.Now()
	n, toSlow := 0, 0
	for n < 3000 {
		if len(done) > 0 && done[0].at.Before(next) {
			c := heap.Pop(&done).(completion)
			clk.Advance(c.at.Sub(clk.Now()))
			c.b.Release(Result{Latency: c.d})
			continue
		}
		clk.Advance(next.Sub(clk.Now()))
		c, err := p.Pick("")
		if err != nil || c.Backend.Acquire(context.Background()) != nil {
			t.Fatal(err)
		}
		d := latency(c.Backend)
		heap.Push(&done, completion{next.Add(d), c.Backend, d})
		if n++; n > 500 && c.Backend == slow { // after a warm-up
			toSlow++
		}
		next = next.Add(time.Duration(r.ExpFloat64() * float64(time.Second) / 15))
	}
	if share := float64(toSlow) / 2500; share >= 0.10 {
		t.Errorf("the slow backend got %.1f%% of the requests; want under 10%%", 100*share)
	}
	for _, c := range done {
		c.b.Release(Result{Latency: c.d})
	}
}

// completion is a request's end in TestSlowBackendAmongSpikyPeers.
type completion struct {
	at time.Time
	b  *Backend
	d  time.Duration
}

// completions is a min-heap of completions by time.
type completions []completion

func (q completions) Len() int           { return len(q) }
func (q completions) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q completions) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *completions) Push(x any)        { *q = append(*q, x.(completion)) }
func (q *completions) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// TestSlowStartIgnoresColdAnswers: a backend back in the rotation answers
// its first requests slowly (a cold process: templates, connections), and
// the least-request balancer, judging it by them, sent it nothing more for
// tens of seconds: 1 of 88 requests during a 4 s slow start and none of
// the 60 after in the flapping test (faults_e2e_test.go). While it ramps
// up, its weight alone rules its share.
func TestSlowStartIgnoresColdAnswers(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{SlowStart: 10 * time.Second})
	p.Set(urls(t, abcd[:3]...))
	a := byURL(t, p, abcd[0])
	for range 5 {
		if err := a.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.Release(Result{Outcome: ConnectFailure})
	}
	clk.Advance(30 * time.Second) // the ejection ends: a slow-starts
	serve := func(be *Backend, d time.Duration) {
		t.Helper()
		if err := be.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		be.Release(Result{Latency: d})
	}
	for range 2 {
		serve(a, 500*time.Millisecond) // cold
	}
	clk.Advance(5 * time.Second) // weight 0.5
	for _, u := range abcd[1:3] {
		serve(byURL(t, p, u), 20*time.Millisecond)
	}
	// Drawn in proportion to the weights (0.5, 1, 1), a is in a pair about
	// half the time; ruled by its weight alone it wins about half of those.
	if got := shares(t, p, 1000, nil); got[abcd[0]] < 150 {
		t.Errorf("halfway through its slow start, after two slow answers, a got %d of 1000 picks; want about a quarter", got[abcd[0]])
	}
}

// TestSlowStartEndsWithAFreshEstimate: the cold answers a backend gave
// while it ramped up are forgotten when its slow start ends, so it does
// not fall back to nothing for the seconds its estimate takes to decay
// (seen in TestEdgeFlappingBackend: 0 of 60 requests after the ramp).
func TestSlowStartEndsWithAFreshEstimate(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{SlowStart: 10 * time.Second})
	p.Set(urls(t, abcd[:3]...))
	a := byURL(t, p, abcd[0])
	serve := func(be *Backend, d time.Duration, o Outcome) {
		t.Helper()
		if err := be.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		be.Release(Result{Latency: d, Outcome: o})
	}
	for range 5 {
		serve(a, 0, ConnectFailure)
	}
	clk.Advance(30 * time.Second) // the ejection ends: a slow-starts
	for range 3 {
		serve(a, 500*time.Millisecond, Success) // cold
	}
	clk.Advance(10 * time.Second) // the ramp is over
	for _, u := range abcd[1:3] {
		serve(byURL(t, p, u), 20*time.Millisecond, Success)
	}
	if got := shares(t, p, 3000, nil); got[abcd[0]] < 700 {
		t.Errorf("just after its slow start, a got %d of 3000 picks; want about a third", got[abcd[0]])
	}
}
