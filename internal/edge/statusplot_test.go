package edge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestStatusPagePlots: the status page shows every backend with its state,
// counts and three plots of its last minutes (requests/s, in flight,
// latency), drawn from the samples the edge keeps; a held backend says so;
// a backend's password never reaches the page or the JSON.
func TestStatusPagePlots(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok"))
	}
	a, b, c := newOrigin(t, ok), newOrigin(t, ok), newOrigin(t, ok)
	secretURL, _ := url.Parse(c.URL)
	secretURL.User = url.UserPassword("edge", "hunter2")
	e, clk := newEdge(t, a.URL, b.URL)
	e.Backends = append(e.Backends, secretURL)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	if st, ans := adminPost(t, admin, "/_agora/drain", testSecret, `{"backend":"`+b.URL+`"}`); st != 200 {
		t.Fatalf("drain: %d %v", st, ans)
	}
	const samples = 5
	for range samples {
		for range 10 {
			do(e, "GET", "http://shop.test/x", nil)
		}
		e.sampleHistory(clk.Now())
		clk.Advance(historyInterval)
	}

	resp, err := http.Get(admin.URL + "/_agora/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	resp.Body.Close()
	if strings.Contains(page, "hunter2") {
		t.Error("the page shows a backend's password")
	}
	sections := strings.Split(page, `<section class="backend">`)[1:]
	want := []string{a.URL, b.URL, secretURL.Redacted()}
	if len(sections) != len(want) {
		t.Fatalf("%d backend sections, want %d", len(sections), len(want))
	}
	for i, sec := range sections {
		sec = sec[:strings.Index(sec, "</section>")]
		if !strings.Contains(sec, "<h3>"+want[i]+"</h3>") {
			t.Errorf("section %d is not labelled %s: %.200s", i, want[i], sec)
		}
		if n := strings.Count(sec, "<svg"); n != 3 {
			t.Errorf("%s: %d plots, want 3", want[i], n)
		}
		// samples-1 rates: the first sample is the base.
		if n := strings.Count(sec[strings.Index(sec, `points="`):], ","); n < samples-1 {
			t.Errorf("%s: its first plot has %d points, want %d", want[i], n, samples-1)
		}
		for _, s := range []string{"Requests/s", "In flight", "Latency p50 (blue) / p99 (red), ms", "ejections", "retries"} {
			if !strings.Contains(sec, s) {
				t.Errorf("%s: no %q", want[i], s)
			}
		}
	}
	if !strings.Contains(sections[1], "draining (held out by an operator)") {
		t.Error("the drained backend is not shown held")
	}
	if !strings.Contains(sections[0], `points="146,`) {
		// 4 rates right-aligned in 150 slots: the first at x=146.
		t.Errorf("the plot is not right-aligned: %.300s", sections[0])
	}

	// The same series in /_agora/status.
	resp, err = http.Get(admin.URL + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if len(st.History.Backends) != 3 {
		t.Fatalf("history of %d backends, want 3", len(st.History.Backends))
	}
	for i, h := range st.History.Backends {
		if h.URL != want[i] || len(h.RequestsPerSecond) != samples-1 || len(h.InFlight) != samples-1 || len(h.LatencyP99ms) != samples-1 {
			t.Errorf("history %d: %+v", i, h)
		}
	}
	// 10 requests every 2 s over the two members taking them: 5/s in all.
	if got := st.History.Backends[0].RequestsPerSecond[0] + st.History.Backends[2].RequestsPerSecond[0]; got != 5 {
		t.Errorf("requests/s %v in all, want 5", got)
	}
	if got := st.History.Backends[1].RequestsPerSecond; got[len(got)-1] != 0 {
		t.Errorf("the drained backend's requests/s %v", got)
	}
}

// TestRecordHistoryEnds: the sampler samples at once and leaves no
// goroutine behind when its context ends.
func TestRecordHistoryEnds(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	e, _ := newEdge(t, o.URL)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the origin's server ends later, in Cleanup
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.RecordHistory(ctx)
	}()
	for deadline := time.Now().Add(10 * time.Second); len(e.History().Backends) == 0; {
		if time.Now().After(deadline) { // a failsafe, never the measure
			t.Fatal("no sample taken")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
