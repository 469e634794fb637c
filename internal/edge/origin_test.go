package edge

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/edge/balance"
)

// firstChoice picks the first candidate: the pool's order decides, so a
// test knows which backend a request tries first and which it retries on.
type firstChoice struct{}

func (firstChoice) Select(cands []balance.Candidate, _ string) *balance.Backend {
	return cands[0].Backend
}

// poolEdge is an edge over a pool of backends tried in the order given.
func poolEdge(t *testing.T, cfg balance.Config, backends ...string) *Edge {
	t.Helper()
	e, _ := newEdge(t)
	if cfg.Selector == nil {
		cfg.Selector = firstChoice{}
	}
	p := balance.New(cfg)
	t.Cleanup(p.Close)
	var us []*url.URL
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	p.Set(us)
	e.Pool = p
	return e
}

// deadURL is the URL of a port nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestRetries: a failed attempt goes to a different backend when that is
// safe (issue 10): always when nothing was sent; after a 502/503/504, a
// reset or a timeout only for GET/HEAD/OPTIONS and for a checkout with
// an Idempotency-Key, its body replayed; never for other unsafe requests.
func TestRetries(t *testing.T) {
	faults := map[string]http.HandlerFunc{
		"503": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) },
		"reset": func(w http.ResponseWriter, r *http.Request) {
			c, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
		},
		"hang": func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server sees the edge hang up
			<-r.Context().Done()
		},
	}
	tests := []struct {
		fault, method, path, key string
		body                     string
		status                   int
		second                   int64 // requests the second backend got
	}{
		{"refused", "GET", "/p", "", "", 200, 1},
		{"refused", "POST", "/cart", "", "item=1", 200, 1},
		{"503", "GET", "/p", "", "", 200, 1},
		{"503", "HEAD", "/p", "", "", 200, 1},
		{"503", "OPTIONS", "/p", "", "", 200, 1},
		{"503", "POST", "/cart", "", "item=1", 503, 0},
		{"503", "DELETE", "/cart/1", "", "", 503, 0},
		{"503", "POST", "/api/v1/checkout", "k1", `{"cart":"c"}`, 200, 1},
		{"503", "POST", "/api/v1/checkout", "", `{"cart":"c"}`, 503, 0},
		{"503", "POST", "/api/v1/checkout", "k1", strings.Repeat("x", 64), 503, 0}, // over MaxRetryBody: sent once
		{"reset", "GET", "/p", "", "", 200, 1},
		{"reset", "POST", "/cart", "", "item=1", 502, 0},
		{"hang", "GET", "/p", "", "", 200, 1},
		{"hang", "POST", "/cart", "", "item=1", 504, 0},
	}
	for _, tt := range tests {
		t.Run(tt.fault+" "+tt.method+" "+tt.path+" key="+tt.key+" body="+tt.body[:min(len(tt.body), 8)], func(t *testing.T) {
			var first string
			if tt.fault == "refused" {
				first = deadURL(t)
			} else {
				first = newOrigin(t, faults[tt.fault]).URL
			}
			var got string
			second := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = string(b)
				w.Write([]byte("ok"))
			})
			e := poolEdge(t, balance.Config{}, first, second.URL)
			e.ResponseHeaderTimeout = 200 * time.Millisecond // the hung backend's one slow attempt
			e.MaxRetryBody = 32
			r := httptest.NewRequest(tt.method, "http://shop.test"+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				r.Header.Set("Idempotency-Key", tt.key)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != tt.status || second.hits.Load() != tt.second {
				t.Errorf("status %d, second backend got %d requests; want %d, %d", w.Code, second.hits.Load(), tt.status, tt.second)
			}
			if tt.second > 0 && got != tt.body {
				t.Errorf("the retry carried body %q, want %q", got, tt.body)
			}
		})
	}
}

// TestRetryOnlyElsewhere: with one backend, a 503 it answers is passed on
// (never retried on the same backend), and a backend that cannot be
// reached answers 503 with Retry-After.
func TestRetryOnlyElsewhere(t *testing.T) {
	busy := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 503) })
	e := poolEdge(t, balance.Config{}, busy.URL)
	if resp := do(e, "GET", "http://shop.test/p", nil); resp.StatusCode != 503 || busy.hits.Load() != 1 {
		t.Errorf("status %d after %d attempts, want the backend's 503 after 1", resp.StatusCode, busy.hits.Load())
	}
	e = poolEdge(t, balance.Config{}, deadURL(t), deadURL(t))
	resp := do(e, "GET", "http://shop.test/p", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("every backend refusing: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if s := e.Status(); s.Retries != 1 {
		t.Errorf("%d retries, want 1 (the second backend)", s.Retries)
	}
}

// TestBackendLimit: over a backend's in-flight limit, a request is
// answered 503 with Retry-After at once rather than queued without bound.
func TestBackendLimit(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
	})
	e := poolEdge(t, balance.Config{MaxInFlight: 1}, slow.URL)
	done := make(chan int)
	go func() { done <- do(e, "POST", "http://shop.test/slow", nil).StatusCode }()
	<-entered
	resp := do(e, "GET", "http://shop.test/p", nil)
	close(release)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if s := <-done; s != 200 {
		t.Errorf("the request in flight: %d, want 200", s)
	}
	if n := slow.hits.Load(); n != 1 {
		t.Errorf("the backend got %d requests, want 1", n)
	}
}

// TestPurgePassesOverDeadBackend: an admin purge reaches the purge log
// through a live backend when the first is dead (issue 10: it used
// Backends[0] only), and the follower asks a live one.
func TestPurgePassesOverDeadBackend(t *testing.T) {
	app := appOrigin(t, testSecret, versioned())
	e := poolEdge(t, balance.Config{}, deadURL(t), app.URL)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	st, ans := adminPost(t, admin, "/_agora/purge", testSecret, `{"tags":["product-42"]}`)
	if _, ok := ans["seq"]; st != 200 || !ok {
		t.Errorf("purge with the first backend dead: %d %v, want 200 with a seq", st, ans)
	}
}

// TestPoolStatus: /_agora/status and /metrics report each backend's state
// and figures, and the retries.
func TestPoolStatus(t *testing.T) {
	ok := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	dead := deadURL(t)
	e := poolEdge(t, balance.Config{}, dead, ok.URL)
	do(e, "GET", "http://shop.test/p", nil) // refused by the first, retried on the second
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	st := e.Status()
	if len(st.Pool.Backends) != 2 || st.Pool.Backends[0].Failures != 1 || st.Pool.Backends[1].Retries != 1 || st.Retries != 1 {
		t.Errorf("status %+v, want the first backend with 1 failure, the second with 1 retry", st.Pool)
	}
	resp, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m := body(t, resp)
	resp.Body.Close()
	for _, want := range []string{
		`agora_edge_backend_failures_total{backend="` + dead + `"} 1`,
		`agora_edge_backend_retries_total{backend="` + ok.URL + `"} 1`,
		`agora_edge_backend_state{backend="` + ok.URL + `",state="healthy"} 1`,
		`agora_edge_retries_total 1`,
		`agora_edge_pool_panic 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err = http.Get(admin.URL + "/_agora/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	resp.Body.Close()
	if want := "<h3>" + ok.URL + "</h3>\n<p><span class=\"state-healthy\">healthy</span>"; !strings.Contains(page, want) {
		t.Errorf("status page lacks %q", want)
	}
}

// TestHungBackendLetsGoWhenItGoesOut: a GET waiting on a backend that
// hung is sent to another backend as soon as the pool takes the hung one
// out (a failed check here), not after the response-head timeout: the
// shopper's one slow request is as short as the checks make it (issue 10,
// "Hung backend"). Before, it waited the whole timeout, or failed when
// the client gave up first (bench/lb.sh, SIGSTOP).
func TestHungBackendLetsGoWhenItGoesOut(t *testing.T) {
	var hung atomic.Bool
	first := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if hung.Load() {
			<-r.Context().Done()
			return
		}
		w.Write([]byte("first"))
	})
	second := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("second")) })
	e := poolEdge(t, balance.Config{Check: &balance.Check{Interval: 20 * time.Millisecond, Timeout: 20 * time.Millisecond, Rise: 1, Fall: 1}},
		first.URL, second.URL)
	// Only letting go when the backend goes out can answer this request:
	// the head timeout is past the whole budget, which fails it with 504.
	e.ResponseHeaderTimeout = time.Hour
	e.FetchTimeout = time.Minute
	for _, b := range e.Pool.Members() {
		for b.State() != balance.Healthy {
			if b.State() == balance.Unhealthy {
				t.Fatalf("%s failed its checks before the test hung it", b)
			}
			time.Sleep(5 * time.Millisecond) // a poll's pace, not a synchronisation
		}
	}
	hung.Store(true)
	before := first.hits.Load()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "http://shop.test/p/1", nil))
	if w.Code != 200 || w.Body.String() != "second" || first.hits.Load() == before {
		t.Errorf("status %d %q, the hung backend got %d requests; want 200 from the second after trying the first", w.Code, w.Body, first.hits.Load()-before)
	}
}

// TestRetryBudgetSparesNothingSent: a retry after a refused connection
// (nothing reached the backend) is not taken from the retry budget: it
// cannot amplify an outage, and bounding it failed GETs when a killed
// app's port refused a burst of them under saturating load (bench/lb.sh
// PARTS=saturate: 11 failures of 37,797).
func TestRetryBudgetSparesNothingSent(t *testing.T) {
	second := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("second")) })
	e := poolEdge(t, balance.Config{}, deadURL(t), second.URL)
	for range 10 { // the budget's floor, all taken
		if _, ok := e.budget.Retry(); !ok {
			t.Fatal("the budget refused before its floor")
		}
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "http://shop.test/p/1", nil))
	if w.Code != 200 || w.Body.String() != "second" {
		t.Errorf("status %d %q with the retry budget spent; want 200 from the second backend", w.Code, w.Body)
	}
}
