package scale

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/scale/autoscale"
)

// TestReloadReplacesEachInstance: every instance is replaced by a new
// process, one at a time: the edge's pool never holds fewer ready
// instances than before, and every old process is gone at the end.
func TestReloadReplacesEachInstance(t *testing.T) {
	sink := &logSink{}
	p := newPool(t, "serve", sink)
	if err := p.Start(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two instances in the edge's pool", func() bool { return len(edgeHosts(p)) == 2 })
	var before []int
	for _, h := range edgeHosts(p) {
		before = append(before, pidOf(t, h))
	}
	// Watch the edge's pool while the reload runs: it must never shrink.
	low := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		least := 2
		for {
			select {
			case <-done:
				low <- least
				return
			default:
				least = min(least, len(p.Edge.Members()))
			}
		}
	}()
	res, err := p.Reload(context.Background())
	close(done)
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if least := <-low; least < 2 {
		t.Errorf("the edge's pool fell to %d instances during the reload", least)
	}
	if res.Replaced != 2 {
		t.Errorf("replaced %d, want 2", res.Replaced)
	}
	hosts := edgeHosts(p)
	if len(hosts) != 2 || p.Size() != 2 {
		t.Fatalf("after the reload: %d in the edge's pool, size %d; want 2, 2", len(hosts), p.Size())
	}
	for _, h := range hosts {
		if pid := pidOf(t, h); slices.Contains(before, pid) {
			t.Errorf("pid %d was not replaced", pid)
		}
	}
	for _, pid := range before {
		if alive(pid) {
			t.Errorf("old pid %d still runs", pid)
		}
	}
	st := p.ReloadState()
	if st == nil || st.Active || st.Replaced != 2 || st.Total != 2 || st.Error != "" {
		t.Errorf("reload state %+v", st)
	}
	for _, want := range []string{"reload: starting an instance of the new binary", "reload: replaced", "reload: done"} {
		if !strings.Contains(sink.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, sink)
		}
	}
}

// TestReloadOfABadBinaryAborts: an instance of the new binary that exits
// at start aborts the reload at the first step; the old instances keep
// serving, and the error and the state say so.
func TestReloadOfABadBinaryAborts(t *testing.T) {
	sink := &logSink{}
	p := newPool(t, "serve", sink)
	crashIf := filepath.Join(t.TempDir(), "crash")
	p.Env = append(p.Env, "SCALE_CRASH_IF="+crashIf)
	if err := p.Start(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two instances in the edge's pool", func() bool { return len(edgeHosts(p)) == 2 })
	before := edgeHosts(p)
	if err := os.WriteFile(crashIf, nil, 0o600); err != nil { // the "new binary" exits 3 at start
		t.Fatal(err)
	}
	_, err := p.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "reload aborted at instance 1 of 2") || !strings.Contains(err.Error(), "old instances keep serving") {
		t.Fatalf("Reload = %v, want it aborted at the first instance", err)
	}
	if got := edgeHosts(p); !slices.Equal(got, before) || p.Size() != 2 || len(p.Instances()) != 2 {
		t.Errorf("after the abort: edge %v (want %v), size %d, instances %+v", got, before, p.Size(), p.Instances())
	}
	for _, h := range before {
		_ = body(t, h) // still serving
	}
	st := p.ReloadState()
	if st == nil || st.Active || st.Replaced != 0 || !strings.Contains(st.Error, "did not become ready") {
		t.Errorf("reload state %+v", st)
	}
	if !strings.Contains(sink.String(), "reload ABORTED") {
		t.Errorf("the abort is not logged:\n%s", sink)
	}
	// A resize asked meanwhile is not lost, and a later reload may run.
	if err := os.Remove(crashIf); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reload(context.Background()); err != nil {
		t.Errorf("a second reload, of a good binary: %v", err)
	}
}

// TestStatusPageShowsTheReload: the pool's section says how far a reload
// is, and an aborted one in the alarm's style with its reason.
func TestStatusPageShowsTheReload(t *testing.T) {
	p := newPool(t, "serve", &logSink{})
	auto, err := autoscale.New(autoscale.Config{Min: 2, Max: 8, TargetInFlight: 10, StableWindow: time.Minute, Log: p.Log})
	if err != nil {
		t.Fatal(err)
	}
	sc := &Scaler{Pool: p, Auto: auto, Load: func() autoscale.Sample { return autoscale.Sample{} }}
	if page := string(sc.HTML("n")); !strings.Contains(page, `<p id="scale-reload"></p>`) {
		t.Errorf("the page mentions a reload before any:\n%s", page)
	}
	p.reload = &ReloadStatus{Active: true, Replaced: 2, Total: 3}
	if page := string(sc.HTML("n")); !strings.Contains(page, "reloading: 2 of 3 replaced") {
		t.Errorf("the page lacks the reload's progress:\n%s", page)
	}
	p.reload = &ReloadStatus{Replaced: 0, Total: 3, Error: "reload aborted at instance 1 of 3: exit status 1"}
	if page := string(sc.HTML("n")); !strings.Contains(page, `class="alarm">last reload ABORTED (0 of 3 replaced): reload aborted at instance 1 of 3: exit status 1`) {
		t.Errorf("the page lacks the abort:\n%s", page)
	}
	if st := sc.Status(); st.Reload == nil || st.Reload.Error == "" {
		t.Errorf("Status().Reload = %+v", st.Reload)
	}
}
