package main_test

// Fault tests of the load balancer (issue 10 "Tests"): real `agora app`
// processes on PostgreSQL behind a real `agora edge`, the load tool
// driving, one fault each. They run a few seconds at tens of requests per
// second and assert counts and decisions read from the load tool's records
// and the edge's /_agora/status, never latencies. TestEdgeKillOneBackend
// (balance_e2e_test.go) is the kill.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/loadtest"
)

// The tests check health every 500 ms, so that a fault shows in a second
// or two, with timeouts of 1 or 2 s: shorter ones made race-built apps on
// a loaded host fail their checks, all at once, and the pool's panic mode
// (no healthy backend) refused adds to carts.

// shopperMix is the load of the fault tests: page views, carts and
// checkouts with an Idempotency-Key.
const shopperMix = "home=2,category=2,product=4,search=2,cart=4,checkout=3"

// out reports whether a backend is out of the rotation for a failure.
func out(s balance.State) bool { return s == balance.Unhealthy || s == balance.Ejected }

// TestEdgeHungBackend: an app that stops answering (SIGSTOP) under load
// costs no GET. The requests the edge sent it after it stopped are few:
// the least-request balancer sends little to a backend holding requests,
// the response-header timeout hands each one to another backend, and the
// health checks take it out, after which it gets nothing.
func TestEdgeHungBackend(t *testing.T) {
	t.Parallel()
	tier := startLBTier(t, lbConfig{apps: 3, edgeArgs: []string{"--health-interval", "500ms", "--health-timeout", "1s",
		"--response-header-timeout", "2s", "--slow-start", "0s"}})
	lt := startLoad(t, tier.edge.url, 30, time.Minute, shopperMix)
	victim := tier.apps[0]
	t.Cleanup(func() { _ = victim.cmd.Process.Signal(syscall.SIGCONT) })
	// Stopped while it holds a request, once it has served a share: some
	// shopper's request is stuck in it. If the one seen in flight got out
	// before the stop, it goes on and the test tries again.
	var before balance.BackendStatus
	var atStop edge.Status
	for {
		waitStatus(t, tier.admin, "a request in flight on the victim", func(st edge.Status) bool {
			b := tier.backend(t, st, 0)
			return b.Requests >= 15 && b.InFlight >= 1
		})
		victim.signal(t, syscall.SIGSTOP)
		atStop = edgeStatus(t, tier.admin)
		if before = tier.backend(t, atStop, 0); before.InFlight >= 1 {
			break
		}
		victim.signal(t, syscall.SIGCONT)
	}
	taken := waitStatus(t, tier.admin, "the stopped app taken out", func(st edge.Status) bool {
		return out(tier.backend(t, st, 0).State)
	})
	// Then 60 requests more, and the held ones timed out: none may reach
	// the victim.
	more := requests(taken) + 60
	after := waitStatus(t, tier.admin, "60 more requests", func(st edge.Status) bool {
		return requests(st) >= more && tier.backend(t, st, 0).InFlight == 0
	})
	recs := lt.stop(t)

	b0, b1, b2 := before, tier.backend(t, taken, 0), tier.backend(t, after, 0)
	hung := b1.Requests - b0.Requests // sent after the stop
	t.Logf("victim stopped %+v\nwhen taken out %+v\nat the end %+v\nedge: %d retries", b0, b1, b2, after.Retries)
	if failed := recs.failed().filter(func(r loadRecord) bool { return r.isRead() }); len(failed) > 0 {
		t.Errorf("%d GETs failed: %v", len(failed), failed)
	}
	checkOrders(t, tier.db, recs)
	// Each request sent to the hung app is one slow answer for one
	// shopper; the balancer must not keep feeding it. How many reach it
	// before the checks take it out depends on how long they take, which
	// a loaded host stretches (CI saw 7); what must hold is the decision:
	// a few, or less than half the share of a healthy app of three.
	if window := requests(taken) - requests(atStop); hung > 5 && hung*6 > window {
		t.Errorf("the edge sent %d of %d requests to the stopped app before taking it out; want at most 5, or under a sixth", hung, window)
	}
	if b2.Requests != b1.Requests {
		t.Errorf("the edge sent %d requests to the stopped app after taking it out", b2.Requests-b1.Requests)
	}
	// What it held timed out and went to another app, or, for an unsafe
	// request the edge may not replay (an add to a cart), ended in a clear
	// error the load tool counted.
	// A request counted in flight at the stop may have had its answer on
	// the wire already, and succeed: so failures may be fewer than held
	// (seen in CI: held 5, failed 4), never more, and each is accounted for.
	unsafeFailed := uint64(recs.count(func(r loadRecord) bool { return !r.isRead() && r.Outcome == string(loadtest.Failed) }))
	if held, failed := uint64(b0.InFlight)+hung, b2.Failures-b0.Failures; failed > held || after.Retries+unsafeFailed < failed {
		t.Errorf("the stopped app held %d requests and failed %d; the edge retried %d, and %d unsafe requests failed", held, failed, after.Retries, unsafeFailed)
	}
}

// TestEdgeRollingRestart: every app restarted in turn with SIGTERM under
// load, each new process on its predecessor's address, costs no request of
// any kind, checkouts and adds to carts included. The app fails /readyz at
// once and serves through --drain-delay, so the edge takes it out before
// it stops listening; requests the edge still sends meanwhile are served.
func TestEdgeRollingRestart(t *testing.T) {
	t.Parallel()
	tier := startLBTier(t, lbConfig{apps: 3, appArgs: []string{"--drain-delay", "2s"},
		edgeArgs: []string{"--health-interval", "500ms", "--health-timeout", "2s", "--fall", "2", "--slow-start", "1s"}})
	lt := startLoad(t, tier.edge.url, 30, time.Minute, shopperMix)
	waitStatus(t, tier.admin, "30 requests", func(st edge.Status) bool { return requests(st) >= 30 })
	for i, old := range tier.apps {
		old.signal(t, syscall.SIGTERM)
		drained := false
		for !drained && !old.exited() {
			drained = out(tier.backend(t, edgeStatus(t, tier.admin), i).State)
			time.Sleep(10 * time.Millisecond) // a poll's pace, not a synchronisation
		}
		if err := <-old.done; err != nil {
			t.Errorf("app %d after SIGTERM: %v\n%s", i, err, old.log())
		}
		if !drained {
			t.Errorf("app %d exited before the edge saw it drain", i)
		}
		tier.restart(t, i)
		waitStatus(t, tier.admin, fmt.Sprintf("app %d back", i), func(st edge.Status) bool {
			s := tier.backend(t, st, i).State
			return s == balance.Healthy || s == balance.SlowStart
		})
	}
	// The last one back takes a share before the load ends.
	last := tier.backend(t, edgeStatus(t, tier.admin), len(tier.apps)-1).Requests
	waitStatus(t, tier.admin, "the last app to serve", func(st edge.Status) bool {
		return tier.backend(t, st, len(tier.apps)-1).Requests >= last+5
	})
	recs := lt.stop(t)
	st := edgeStatus(t, tier.admin)
	t.Logf("%d requests; edge: %d retries; pool %+v", len(recs), st.Retries, st.Pool.Backends)
	if failed := recs.failed(); len(failed) > 0 {
		t.Errorf("%d of %d requests failed: %v", len(failed), len(recs), failed)
	}
	if n := checkOrders(t, tier.db, recs); n == 0 || len(recs) < 200 {
		t.Errorf("%d requests and %d orders: the run did not happen as planned", len(recs), n)
	}
}

// exited reports whether s's process has ended.
func (s *server) exited() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// slowProxy injects the fault of a slow backend: it forwards every
// request to the real app at target, delay later. The app is real; only
// the delay is the test's.
func slowProxy(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay): // the fault itself
		case <-r.Context().Done():
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEdgeSlowBackend: of three apps, one answering 1.5 s slower gets
// under 10% of the requests once the balancer has seen it (after a warm-up
// of 40 requests), where a fair share is a third. Least-request shares
// the load about inversely to latency, so the slow one gets under 10% as
// long as the others answer within ~200 ms: a margin for a loaded CI
// machine, which at 300 ms of delay took the slow app to 17%.
func TestEdgeSlowBackend(t *testing.T) {
	t.Parallel()
	tier := startLBTier(t, lbConfig{apps: 3, edgeArgs: []string{"--health-interval", "1s", "--health-timeout", "5s", "--slow-start", "0s"},
		front: func(i int, appURL string) string {
			if i == 0 {
				return slowProxy(t, appURL, 1500*time.Millisecond)
			}
			return appURL
		}})
	lt := startLoad(t, tier.edge.url, 40, time.Minute, shopperMix)
	warm := waitStatus(t, tier.admin, "a warm-up of 40 requests", func(st edge.Status) bool { return requests(st) >= 40 })
	end := waitStatus(t, tier.admin, "150 requests more", func(st edge.Status) bool { return requests(st) >= requests(warm)+150 })
	recs := lt.stop(t)
	slow := tier.backend(t, end, 0).Requests - tier.backend(t, warm, 0).Requests
	total := requests(end) - requests(warm)
	share := float64(slow) / float64(total)
	t.Logf("after the warm-up: %d of %d requests to the slow app (%.1f%%); pool %+v", slow, total, 100*share, end.Pool.Backends)
	if share >= 0.10 {
		t.Errorf("the slow app got %d of %d requests (%.1f%%) after the warm-up; want under 10%%", slow, total, 100*share)
	}
	if failed := recs.failed(); len(failed) > 0 {
		t.Errorf("%d requests failed: %v", len(failed), failed)
	}
}

// shareSample is one reading of the pool while a backend recovers.
type shareSample struct {
	at            time.Duration // since the restart
	state         balance.State
	weight        float64
	victim, total uint64 // requests sent so far
}

// TestEdgeFlappingBackend: an app killed under load is taken out
// (unhealthy or ejected); started again on its address it comes back
// slow-starting, taking requests while its weight rises over the
// slow-start window, then healthy. Its share per second is logged.
func TestEdgeFlappingBackend(t *testing.T) {
	t.Parallel()
	const window = 4 * time.Second
	tier := startLBTier(t, lbConfig{apps: 3, edgeArgs: []string{"--health-interval", "500ms", "--health-timeout", "2s",
		"--slow-start", window.String()}})
	lt := startLoad(t, tier.edge.url, 40, time.Minute, shopperMix)
	waitStatus(t, tier.admin, "the victim to serve 15 requests", func(st edge.Status) bool {
		return tier.backend(t, st, 0).Requests >= 15
	})
	tier.apps[0].kill(t)
	down := waitStatus(t, tier.admin, "the killed app taken out", func(st edge.Status) bool {
		return out(tier.backend(t, st, 0).State)
	})
	t.Logf("taken out: %+v", tier.backend(t, down, 0))

	tier.restart(t, 0)
	restarted := time.Now()
	var samples []shareSample
	var healthyAt uint64 // total requests when it became healthy
	for {
		st := edgeStatus(t, tier.admin)
		b := tier.backend(t, st, 0)
		samples = append(samples, shareSample{time.Since(restarted), b.State, b.Weight, b.Requests, requests(st)})
		if b.State == balance.Healthy && healthyAt == 0 {
			healthyAt = requests(st)
		}
		if healthyAt > 0 && requests(st) >= healthyAt+60 {
			break
		}
		if time.Since(restarted) > time.Minute { // a failsafe
			t.Fatalf("the restarted app is not back in a minute: %+v", b)
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	lt.stop(t)

	// The share per second after the restart, for the log.
	var ramp, early, healthy [2]uint64 // requests to the victim, to all
	sawWeight := false
	minWeight, maxRampWeight := 1.0, 0.0
	for i := 1; i < len(samples); i++ {
		s, p := samples[i], samples[i-1]
		dv, dt := s.victim-p.victim, s.total-p.total
		switch {
		case s.state == balance.SlowStart:
			ramp[0], ramp[1] = ramp[0]+dv, ramp[1]+dt
			if s.weight < 0.5 {
				early[0], early[1] = early[0]+dv, early[1]+dt
			}
			sawWeight = sawWeight || (s.weight > 0 && s.weight < 1)
			minWeight, maxRampWeight = min(minWeight, s.weight), max(maxRampWeight, s.weight)
		case s.state == balance.Healthy && p.state == balance.Healthy:
			healthy[0], healthy[1] = healthy[0]+dv, healthy[1]+dt
		}
	}
	var lines []string
	for sec, i := 1, 1; i < len(samples); sec++ {
		j := i
		for j < len(samples) && samples[j].at < time.Duration(sec)*time.Second {
			j++
		}
		if a, b := samples[i-1], samples[j-1]; b.total > a.total {
			lines = append(lines, fmt.Sprintf("%2ds %-10s weight %.2f: %d of %d", sec, b.state, b.weight, b.victim-a.victim, b.total-a.total))
		}
		i = max(j, i+1)
	}
	t.Logf("after the restart, per second (state, weight, requests to it of all):\n%s", strings.Join(lines, "\n"))
	if !sawWeight {
		t.Fatalf("the restarted app never showed as slow-starting with a weight below 1")
	}
	e, h := float64(early[0])/float64(max(early[1], 1)), float64(healthy[0])/float64(max(healthy[1], 1))
	t.Logf("share during the slow start %d/%d, in its first half (weight under 0.5) %d/%d = %.2f; after it %d/%d = %.2f",
		ramp[0], ramp[1], early[0], early[1], e, healthy[0], healthy[1], h)
	// The pool's decisions: the weight rises from its floor to 1, and the
	// app takes requests while it does. Its share past the slow start is
	// the least-request balancer's call on its latency (a restarted app is
	// cold, and slower at first), shown above, not asserted.
	if !sawWeight || minWeight >= 0.5 || maxRampWeight <= 0.5 {
		t.Errorf("the restarted app's weight during its slow start went from %.2f to %.2f; want it to rise from under 0.5 to over 0.5", minWeight, maxRampWeight)
	}
	if ramp[0] == 0 {
		t.Errorf("the restarted app got none of %d requests during its slow start", ramp[1])
	}
}

// TestEdgeAllBackendsDown: with every app stopped, the pages the edge
// holds still answer 200 (from the cache, stale if need be) and the others
// a friendly 503 with Retry-After, both before and after the edge has
// given up on every backend (panic mode); apps started again on the same
// addresses serve again through the same edge process.
func TestEdgeAllBackendsDown(t *testing.T) {
	t.Parallel()
	tier := startLBTier(t, lbConfig{apps: 2, edgeArgs: []string{"--health-interval", "500ms", "--health-timeout", "2s"}})
	c := &http.Client{}
	_, home := fetch(t, c, newGet(t, tier.edge.url+"/"))
	paths := []string{"/"}
	for _, re := range []*regexp.Regexp{categoryLink, productLink} {
		for _, m := range re.FindAllStringSubmatch(home, 3) {
			if !slices.Contains(paths, m[1]) {
				paths = append(paths, m[1])
			}
		}
	}
	cached := map[string]string{}
	for _, p := range paths {
		fetch(t, c, newGet(t, tier.edge.url+p))
		resp, body := fetch(t, c, newGet(t, tier.edge.url+p))
		if resp.StatusCode != 200 || !isHit(resp) {
			t.Fatalf("GET %s twice: %d, Cache-Status %q; want a 200 hit", p, resp.StatusCode, resp.Header.Get("Cache-Status"))
		}
		cached[p] = body
	}
	if len(cached) < 4 {
		t.Fatalf("only %d pages cached: %v", len(cached), paths)
	}

	for _, a := range tier.apps {
		a.kill(t)
	}
	n := 0
	check := func(when string) {
		for p, body := range cached {
			// A reload asks the origin: the stored page stands in for it.
			for _, hdr := range [][]string{nil, {"Cache-Control", "no-cache"}} {
				resp, got := fetch(t, c, newGet(t, tier.edge.url+p, hdr...))
				if resp.StatusCode != 200 || got != body {
					t.Errorf("%s: GET %s %v: %d (Cache-Status %q), same body %v; want 200 with the stored page",
						when, p, hdr, resp.StatusCode, resp.Header.Get("Cache-Status"), got == body)
				}
			}
		}
		n++
		resp, body := fetch(t, c, newGet(t, fmt.Sprintf("%s/search?q=never-cached-%d", tier.edge.url, n)))
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "temporarily unavailable") {
			t.Errorf("%s: uncached page: %d %v; want a friendly 503 page with Retry-After\n%s", when, resp.StatusCode, resp.Header, body)
		}
	}
	check("every app just killed")
	waitStatus(t, tier.admin, "panic mode", func(st edge.Status) bool { return st.Pool.Panic })
	check("every app out (panic)")

	for i := range tier.apps {
		tier.restart(t, i)
	}
	st := waitStatus(t, tier.admin, "the apps back", func(st edge.Status) bool {
		return !st.Pool.Panic && slices.ContainsFunc(st.Pool.Backends, func(b balance.BackendStatus) bool { return !out(b.State) })
	})
	t.Logf("back: %+v", st.Pool.Backends)
	for _, p := range []string{"/search?q=after-the-recovery", "/search?q=never-cached-1"} {
		if resp, _ := fetch(t, c, newGet(t, tier.edge.url+p)); resp.StatusCode != 200 {
			t.Errorf("after the recovery: GET %s: %d (Cache-Status %q)", p, resp.StatusCode, resp.Header.Get("Cache-Status"))
		}
	}
	resp, _ := fetch(t, c, newGet(t, tier.edge.url+"/", "Cache-Control", "no-cache"))
	if cs := resp.Header.Get("Cache-Status"); resp.StatusCode != 200 || strings.Contains(cs, "stale-if-error") {
		t.Errorf("after the recovery, a reload of the home page: %d, Cache-Status %q; want 200 from the origin", resp.StatusCode, cs)
	}
}
