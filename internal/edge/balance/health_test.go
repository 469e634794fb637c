package balance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Answers of a test backend's /readyz.
const (
	ready    = iota // 200
	notReady        // 503
	reset           // the connection closed without an answer
	hang            // no answer until the check gives up
	redirect        // 302: HAProxy counts 3xx as passing
	draining        // 503 "draining": an Agora app shutting down
)

// origin is a backend whose /readyz answers as told.
type origin struct {
	*httptest.Server
	answer atomic.Int32
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		switch o.answer.Load() {
		case ready:
			w.WriteHeader(http.StatusOK)
		case notReady:
			w.WriteHeader(http.StatusServiceUnavailable)
		case reset:
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case hang:
			<-r.Context().Done()
		case redirect:
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case draining:
			http.Error(w, "draining", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) url(t *testing.T) *url.URL {
	u, err := url.Parse(o.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkRig drives a pool's health checkers one check at a time: each
// checker waits on a fake timer between checks, and a fired timer is
// followed by exactly one check and one new timer from the same checker,
// so the new timer's owner is the backend whose origin was hit.
type checkRig struct {
	t       *testing.T
	p       *Pool
	clk     interface{ Advance(time.Duration) }
	fa      fakeAfter
	origins map[string]*origin
	pending map[string]timer
	sent    map[string]*atomic.Int32 // checks sent, by host:port; fixed after newCheckRig
}

// countingTransport counts the requests sent to each host: a check that
// times out before the origin sees it is still a check.
type countingTransport struct {
	base http.RoundTripper
	sent map[string]*atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.sent[r.URL.Host].Add(1)
	return c.base.RoundTrip(r)
}

// checks is how many checks were sent to the backend at u.
func (r *checkRig) checks(u string) int32 {
	return r.sent[r.origins[u].Listener.Addr().String()].Load()
}

func newCheckRig(t *testing.T, cfg Config, n int) *checkRig {
	t.Helper()
	r := &checkRig{t: t, fa: newFakeAfter(), origins: map[string]*origin{}, pending: map[string]timer{}}
	cfg.After = r.fa.After
	cfg.Rand = func() float64 { return 0.5 } // intervals exact, the first check after 5% of one
	r.sent = map[string]*atomic.Int32{}
	cfg.Check = &Check{Client: &http.Client{Transport: &countingTransport{
		base: &http.Transport{DisableKeepAlives: true}, sent: r.sent,
	}}}
	r.p, r.clk = testPool(t, cfg)
	var us []*url.URL
	for range n {
		o := newOrigin(t)
		r.origins[o.URL] = o
		r.sent[o.Listener.Addr().String()] = new(atomic.Int32)
		us = append(us, o.url(t))
	}
	r.p.Set(us)
	// Every checker waits on its first timer before one is fired, so a
	// new timer comes from the checker fired last.
	first := make([]timer, n)
	for i := range first {
		first[i] = <-r.fa
		if first[i].d != cfg.Check.withDefaults().Interval/20 {
			t.Errorf("first check after %v", first[i].d)
		}
	}
	for _, tm := range first {
		r.fire(tm)
	}
	return r
}

// fire fires tm and records the next timer of the checker it woke.
func (r *checkRig) fire(tm timer) string {
	before := map[string]int32{}
	for u := range r.origins {
		before[u] = r.checks(u)
	}
	tm.c <- time.Time{}
	next := <-r.fa
	for u := range r.origins {
		if r.checks(u) != before[u] {
			r.pending[u] = next
			return u
		}
	}
	r.t.Fatal("a fired timer sent no check")
	return ""
}

// check runs one check of the backend at u and returns its state after it.
func (r *checkRig) check(u string) State {
	r.t.Helper()
	tm, ok := r.pending[u]
	if !ok {
		r.t.Fatalf("no checker waits for %s", u)
	}
	if tm.d != 2*time.Second {
		r.t.Errorf("interval %v, want 2 s", tm.d)
	}
	if got := r.fire(tm); got != u {
		r.t.Fatalf("checked %s, want %s", got, u)
	}
	return byURL(r.t, r.p, u).State()
}

// TestActiveChecks walks one backend through rise and fall.
func TestActiveChecks(t *testing.T) {
	t.Parallel()
	r := newCheckRig(t, Config{}, 1)
	var u string
	for k := range r.origins {
		u = k
	}
	o := r.origins[u]
	// The first check (in newCheckRig) passed: one of two.
	if st := byURL(t, r.p, u).State(); st != Joining {
		t.Fatalf("after one pass: %v", st)
	}
	steps := []struct {
		answer int32
		want   State
	}{
		{ready, Healthy}, // rise 2; alone, so no slow start
		{notReady, Healthy},
		{hang, Healthy},
		{reset, Unhealthy}, // fall 3, of any kind of failure
		{ready, Unhealthy},
		{notReady, Unhealthy}, // a failure restarts the rise
		{ready, Unhealthy},
		{redirect, Healthy},
		// An app that says it is draining is out at the first check, not
		// the third: its drain delay (5 s by default) is shorter than
		// three intervals, and it would exit while still in the rotation.
		{draining, Unhealthy},
		{ready, Unhealthy},
		{ready, Healthy},
	}
	for i, s := range steps {
		o.answer.Store(s.answer)
		if got := r.check(u); got != s.want {
			t.Fatalf("step %d (answer %d): %v, want %v", i, s.answer, got, s.want)
		}
	}
	if st := r.p.Status().Backends[0]; st.CheckError != "" {
		t.Errorf("check error after a pass: %q", st.CheckError)
	}
	o.answer.Store(notReady)
	r.check(u)
	if st := r.p.Status().Backends[0]; st.CheckError == "" {
		t.Error("no check error after a failure")
	}
}

// TestCheckRecovery: a backend back from unhealthy or from an ejection
// slow-starts, and a passing check ends an ejection at once.
func TestCheckRecovery(t *testing.T) {
	t.Parallel()
	r := newCheckRig(t, Config{SlowStart: 10 * time.Second}, 2)
	var a, b string
	for u := range r.origins {
		if a == "" {
			a = u
		} else {
			b = u
		}
	}
	r.check(a)
	r.check(b)
	r.clk.Advance(time.Minute) // past any slow start
	for _, u := range []string{a, b} {
		if st := byURL(t, r.p, u).State(); st != Healthy {
			t.Fatalf("%s: %v", u, st)
		}
	}
	r.origins[a].answer.Store(notReady)
	for range 3 {
		r.check(a)
	}
	if st := byURL(t, r.p, a).State(); st != Unhealthy {
		t.Fatalf("after fall: %v", st)
	}
	r.origins[a].answer.Store(ready)
	r.check(a)
	if st := r.check(a); st != SlowStart {
		t.Fatalf("back after rise: %v, want slow-start", st)
	}
	r.clk.Advance(time.Minute)
	fail(t, byURL(t, r.p, a), 5, ConnectFailure)
	if st := byURL(t, r.p, a).State(); st != Ejected {
		t.Fatalf("after five failures: %v", st)
	}
	if st := r.check(a); st != SlowStart {
		t.Fatalf("a passing check after the ejection: %v, want slow-start", st)
	}
	// An ejection that ran out before the check: the ramp started then,
	// and the check does not start it again.
	r.clk.Advance(time.Minute)
	fail(t, byURL(t, r.p, a), 5, ConnectFailure)
	r.clk.Advance(30*time.Second + 5*time.Second) // 30 s: the minute since forgave the last one
	r.check(a)
	if st := byURL(t, r.p, a).status(r.p.now()); st.State != SlowStart || st.Weight != 0.5 {
		t.Fatalf("5 s after the ejection ended: %v at weight %v, want slow-start at 0.5", st.State, st.Weight)
	}
}

// TestCheckerEndsWithBackend: removing a backend ends its checker and
// checks of the others go on.
func TestCheckerEndsWithBackend(t *testing.T) {
	t.Parallel()
	r := newCheckRig(t, Config{}, 2)
	var a, b string
	for u := range r.origins {
		if a == "" {
			a = u
		} else {
			b = u
		}
	}
	ba := byURL(t, r.p, a)
	r.p.Set([]*url.URL{r.origins[b].url(t)})
	select {
	case <-ba.checkerDone:
	case <-time.After(10 * time.Second): // only if broken
		t.Fatal("the removed backend's checker still runs")
	}
	delete(r.pending, a)
	hits := r.checks(a)
	for range 3 {
		r.check(b)
	}
	if got := r.checks(a); got != hits {
		t.Errorf("the removed backend was checked %d more times", got-hits)
	}
	if err := ba.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckJitter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rand float64
		want time.Duration
	}{{0, 1800 * time.Millisecond}, {0.5, 2 * time.Second}, {0.999, 2199600 * time.Microsecond}} {
		fa := newFakeAfter()
		p, _ := testPool(t, Config{Check: &Check{Timeout: 100 * time.Millisecond}, After: fa.After, Rand: func() float64 { return tc.rand }})
		o := newOrigin(t)
		p.Set([]*url.URL{o.url(t)})
		(<-fa).c <- time.Time{}
		if got := (<-fa).d; got != tc.want {
			t.Errorf("rand %v: interval %v, want %v", tc.rand, got, tc.want)
		}
	}
}

// TestBusyIsNotDead: checks that time out while the backend answers the
// requests sent to it are not counted towards Fall: a machine whose CPU is
// saturated answers /readyz late, and marking its busy apps unhealthy one
// after another turned overload into 503s (bench/ramp.sh at 600 req/s).
// Once it stops answering requests too, the timeouts count again.
func TestBusyIsNotDead(t *testing.T) {
	t.Parallel()
	r := newCheckRig(t, Config{Check: &Check{Timeout: 20 * time.Millisecond}}, 1)
	var u string
	for k := range r.origins {
		u = k
	}
	if st := r.check(u); st != Healthy {
		t.Fatalf("after two passes: %v", st)
	}
	b := byURL(t, r.p, u)
	r.origins[u].answer.Store(hang)
	for i := range 4 {
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.Release(Result{Latency: 300 * time.Millisecond}) // slow, but answered
		if st := r.check(u); st != Healthy {
			t.Fatalf("check %d timed out while requests were answered: %v, want still healthy", i+1, st)
		}
	}
	if st := r.p.Status().Backends[0]; st.CheckError == "" {
		t.Error("a timed-out check left no trace in the status")
	}
	r.clk.Advance(5 * time.Second) // no answer since: hung, not busy
	want := []State{Healthy, Healthy, Unhealthy}
	for i, w := range want {
		if st := r.check(u); st != w {
			t.Fatalf("timeout %d with no request answered: %v, want %v", i+1, st, w)
		}
	}
}
