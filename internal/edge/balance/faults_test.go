package balance

import (
	"context"
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
// completed for 2 s while it had work: its latency is at least that.
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
	if err := a.Acquire(context.Background()); err != nil { // never answered
		t.Fatal(err)
	}
	defer a.Release(Result{Outcome: Timeout})
	for range 20 {
		clk.Advance(100 * time.Millisecond)
		serve(b, 300*time.Millisecond)
		serve(c, 300*time.Millisecond)
	}
	if got := shares(t, p, 1000, nil); got[abcd[0]] > 0 {
		t.Errorf("a backend holding a request for 2 s without an answer got %d of 1000 picks against backends answering in 300 ms; want none", got[abcd[0]])
	}
}
