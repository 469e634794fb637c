package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// blocker is a test route whose requests wait, each holding its slot,
// until released.
type blocker struct {
	entered chan struct{} // one send per request that began
	release chan struct{} // one receive per request let go
}

func addBlocker(ts *testServer) *blocker {
	b := &blocker{entered: make(chan struct{}, 100), release: make(chan struct{})}
	ts.mux.HandleFunc("GET /test/block", func(w http.ResponseWriter, r *http.Request) {
		b.entered <- struct{}{}
		<-b.release
		plain(w, http.StatusOK, "done")
	})
	return b
}

// start sends n GET /test/block in the background; their statuses arrive
// on the returned channel.
func (b *blocker) start(t *testing.T, ts *testServer, n int) <-chan int {
	statuses := make(chan int, n)
	for range n {
		go func() {
			res, err := ts.http.Client().Get(ts.http.URL + "/test/block")
			if err != nil {
				t.Error(err)
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	return statuses
}

// metric reads one sample of the app's /metrics.
func metric(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	for _, line := range strings.Split(ts.scrapeMetrics().Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

// waitMetric polls /metrics until name reads want.
func waitMetric(t *testing.T, ts *testServer, name, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a failsafe, not a synchronisation
	for metric(t, ts, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %s, never %s", name, metric(t, ts, name), want)
		}
		time.Sleep(time.Millisecond) // a poll's pace
	}
}

// TestMaxInFlightQueuesThenRefuses (issue 11): with --max-inflight 2 and a
// queue of 1, two requests run, a third waits (and /metrics says so), a
// fourth is answered 503 with Retry-After at once, in JSON under /api/;
// health checks and the purge log's long poll are never held back; when a
// slot frees, the waiting request runs, and every admitted request
// completes.
func TestMaxInFlightQueuesThenRefuses(t *testing.T) {
	ts := sqliteServer(t, Config{MaxInFlight: 2, MaxQueue: 1, QueueTimeout: time.Hour})
	b := addBlocker(ts)
	if got := metric(t, ts, "agora_http_max_in_flight"); got != "2" {
		t.Errorf("agora_http_max_in_flight = %s", got)
	}
	running := b.start(t, ts, 2)
	<-b.entered
	<-b.entered
	waitMetric(t, ts, "agora_http_limited_in_flight", "2")

	queued := b.start(t, ts, 1)
	waitMetric(t, ts, "agora_http_queued", "1")
	select {
	case <-b.entered:
		t.Fatal("a third request ran beside two with --max-inflight 2")
	default:
	}

	for _, c := range []struct{ path, wantType string }{
		{"/test/block", "text/plain"},
		{"/api/v1/products", "application/json"},
	} {
		res := ts.get(t, c.path)
		if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "1" ||
			!strings.HasPrefix(res.header.Get("Content-Type"), c.wantType) {
			t.Errorf("GET %s past the queue: %d %v %q; want 503, Retry-After: 1, %s", c.path, res.status, res.header, res.body, c.wantType)
		}
		if c.wantType == "application/json" {
			var body struct{ Error struct{ Code string } }
			if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Error.Code != "unavailable" {
				t.Errorf("API 503 body %q: want error code unavailable", res.body)
			}
		}
	}
	// Exempt: 200 from the health checks, and the purge log answers for
	// itself (404: this server has no cluster secret), not the limit.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, purgesPath: 404} {
		if res := ts.get(t, path); res.status != want {
			t.Errorf("GET %s while full: %d, want %d", path, res.status, want)
		}
	}
	if got := metric(t, ts, "agora_http_overload_rejected_total"); got != "2" {
		t.Errorf("agora_http_overload_rejected_total = %s, want 2", got)
	}

	b.release <- struct{}{} // one running request ends: the queued one gets its slot
	<-b.entered
	waitMetric(t, ts, "agora_http_queued", "0")
	b.release <- struct{}{}
	b.release <- struct{}{}
	for _, ch := range []<-chan int{running, running, queued} {
		if st := <-ch; st != http.StatusOK {
			t.Errorf("an admitted request answered %d", st)
		}
	}
	waitMetric(t, ts, "agora_http_limited_in_flight", "0")
}

// TestQueueTimeout: a request that waits in the queue longer than
// --queue-timeout is answered 503, and the one running is unaffected.
func TestQueueTimeout(t *testing.T) {
	ts := sqliteServer(t, Config{MaxInFlight: 1, QueueTimeout: time.Millisecond})
	b := addBlocker(ts)
	running := b.start(t, ts, 1)
	<-b.entered
	if res := ts.get(t, "/test/block"); res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
		t.Errorf("queued past the timeout: %d %v", res.status, res.header)
	}
	b.release <- struct{}{}
	if st := <-running; st != http.StatusOK {
		t.Errorf("the running request answered %d", st)
	}
}

// TestNoLimitByDefault: without --max-inflight every request runs at once.
func TestNoLimitByDefault(t *testing.T) {
	ts := sqliteServer(t, Config{})
	b := addBlocker(ts)
	const n = 20
	statuses := b.start(t, ts, n)
	for range n {
		<-b.entered // all n run together: none waits for another to end
	}
	for range n {
		b.release <- struct{}{}
	}
	for range n {
		if st := <-statuses; st != http.StatusOK {
			t.Errorf("status %d", st)
		}
	}
	if got := metric(t, ts, "agora_http_max_in_flight"); got != "0" {
		t.Errorf("agora_http_max_in_flight = %s, want 0", got)
	}
}
