package scale

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge/balance"
)

// The test binary doubles as the child: with SCALE_CHILD set, TestMain runs
// one of these behaviours instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("SCALE_CHILD") {
	case "":
		os.Exit(m.Run())
	case "serve":
		if _, err := os.Stat(os.Getenv("SCALE_CRASH_IF")); err == nil {
			fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"boom"}`)
			os.Exit(3)
		}
		serveChild()
	case "crash":
		fmt.Fprintln(os.Stderr, `{"level":"ERROR","msg":"boom"}`)
		os.Exit(3)
	case "slow-drain":
		slowDrainChild()
	}
}

// serveChild serves on a loopback port, logs like `agora app
// --log-format json`, and drains on SIGTERM.
func serveChild() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "pid %d", os.Getpid())
	})}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go srv.Serve(ln)
	fmt.Fprintf(os.Stderr, `{"time":"x","level":"INFO","msg":"serving","url":"http://%s"}`+"\n", ln.Addr())
	fmt.Fprintln(os.Stderr, "not json: a panic's stack would look like this")
	<-sig
	srv.Shutdown(context.Background())
	fmt.Fprintln(os.Stderr, `{"level":"INFO","msg":"stopped cleanly"}`)
	os.Exit(0)
}

// slowDrainChild serves, names itself in its messages as internal/app once
// did, and on SIGTERM starts a drain that never ends, as `agora app
// --drain-delay 1h` would.
func slowDrainChild() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go http.Serve(ln, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	fmt.Fprintf(os.Stderr, `{"level":"INFO","msg":"serving","url":"http://%s"}`+"\n", ln.Addr())
	<-sig
	fmt.Fprintln(os.Stderr, `{"level":"INFO","msg":"app: draining"}`)
	select {}
}

// logSink collects log lines and tells a waiter when one contains want.
type logSink struct {
	mu    sync.Mutex
	b     strings.Builder
	want  string
	found chan struct{}
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.want != "" && strings.Contains(l.b.String(), l.want) {
		close(l.found)
		l.want = ""
	}
	return len(p), nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newPool is a pool of the test binary as fake app instances (a real
// process each) in front of a real balance.Pool without active checks.
func newPool(t *testing.T, mode string, sink *logSink) *Pool {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	edge := balance.New(balance.Config{Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(edge.Close)
	p := &Pool{
		Path: self, Args: []string{"-test.run=^$"},
		Env:        append(os.Environ(), "SCALE_CHILD="+mode),
		Log:        slog.New(slog.NewTextHandler(sink, nil)),
		Edge:       edge,
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		StopTimeout: 30 * time.Second, DrainTimeout: time.Minute,
	}
	t.Cleanup(p.Kill) // whatever happens, no child outlives the test
	return p
}

// waitUntil polls cond at a steady pace; the failsafe is not a timing
// assertion.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		time.Sleep(10 * time.Millisecond) // a poll's pace, not a synchronisation
	}
}

// edgeHosts are the host:ports in the edge's pool.
func edgeHosts(p *Pool) []string {
	var out []string
	for _, b := range p.Edge.Members() {
		out = append(out, b.URL.Host)
	}
	return out
}

func pidOf(t *testing.T, addr string) int {
	var pid int
	fmt.Sscanf(body(t, addr), "pid %d", &pid)
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func body(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPoolServesRestartsAndStops(t *testing.T) {
	sink := &logSink{}
	p := newPool(t, "serve", sink)
	if err := p.Start(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two instances in the edge's pool", func() bool { return len(edgeHosts(p)) == 2 })
	hosts := edgeHosts(p)
	pids := []int{pidOf(t, hosts[0]), pidOf(t, hosts[1])}
	if pids[0] == pids[1] || pids[0] == 0 {
		t.Fatalf("pids %v: want two instances", pids)
	}
	if strings.Contains(sink.String(), "msg=serving") {
		t.Errorf("the child's line passes for the parent's:\n%s", sink)
	}

	// A killed instance leaves the edge's pool and is replaced.
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a replacement", func() bool {
		h := edgeHosts(p)
		return len(h) == 2 && !slices.Contains(h, hosts[0])
	})
	if !strings.Contains(sink.String(), "app exited; restarting") {
		t.Errorf("the crash is not reported:\n%s", sink)
	}
	if in := p.Instances(); in[0].Restarts != 1 || in[1].Restarts != 0 {
		t.Errorf("instances after one crash: %+v", in)
	}
	now := []int{pidOf(t, edgeHosts(p)[0]), pidOf(t, edgeHosts(p)[1])}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, pid := range now {
		if alive(pid) {
			t.Errorf("pid %d still runs after Stop", pid)
		}
	}
	if n := len(p.Edge.Members()); n != 0 {
		t.Errorf("%d instances left in the edge's pool after Stop", n)
	}
	for _, want := range []string{`msg="app: serving"`, `msg="app: stopped cleanly"`, `msg="app output" pid=`, `line="not json`, `msg="app instance ready"`} {
		if !strings.Contains(sink.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, sink)
		}
	}
	p.Resize(3) // after Stop: nothing
	if p.Size() != 0 {
		t.Errorf("Resize after Stop started instances")
	}
}

// TestPoolResizeDrainsFirst: growing adds instances to the edge's pool once
// ready; shrinking takes the least loaded out of the edge's pool first,
// and stops its process only once the edge has nothing in flight to it.
func TestPoolResizeDrainsFirst(t *testing.T) {
	p := newPool(t, "serve", &logSink{})
	if err := p.Start(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	p.Resize(3)
	waitUntil(t, "three instances in the edge's pool", func() bool { return len(edgeHosts(p)) == 3 })
	members := p.Edge.Members()
	pids := map[string]int{}
	for _, b := range members {
		pids[b.URL.Host] = pidOf(t, b.URL.Host)
		if err := b.Acquire(context.Background()); err != nil { // a request in flight at the edge
			t.Fatal(err)
		}
	}
	// The oldest carries two requests: it stays.
	if err := members[0].Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Resize(1)
	if p.Size() != 1 {
		t.Fatalf("Size after Resize(1) = %d", p.Size())
	}
	waitUntil(t, "two instances out of the edge's pool", func() bool { return len(edgeHosts(p)) == 1 })
	if got := edgeHosts(p); got[0] != members[0].URL.Host {
		t.Errorf("kept %s, want the busiest, %s", got[0], members[0].URL.Host)
	}
	for _, b := range members[1:] {
		if !alive(pids[b.URL.Host]) {
			t.Errorf("%s stopped with a request in flight", b.URL.Host)
		}
	}
	draining := 0
	for _, in := range p.Instances() {
		if in.State == Draining {
			draining++
		}
	}
	if draining != 2 {
		t.Errorf("instances: %+v, want two draining", p.Instances())
	}
	for _, b := range members {
		b.Release(balance.Result{})
	}
	waitUntil(t, "the drained instances to stop", func() bool { return len(p.Instances()) == 1 })
	for _, b := range members[1:] {
		if alive(pids[b.URL.Host]) {
			t.Errorf("%s still runs after its drain", b.URL.Host)
		}
	}
	members[0].Release(balance.Result{})
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestPoolReportsFailures(t *testing.T) {
	t.Run("exit before serving fails Start", func(t *testing.T) {
		p := newPool(t, "crash", &logSink{})
		if err := p.Start(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "before serving") {
			t.Errorf("Start: %v", err)
		}
		if n := len(p.Instances()); n != 0 {
			t.Errorf("%d instances left after a failed Start", n)
		}
	})
	t.Run("a crash loop is reported", func(t *testing.T) {
		sink := &logSink{want: "app is crash looping", found: make(chan struct{})}
		p := newPool(t, "serve", sink)
		p.MaxBackoff = 50 * time.Millisecond
		crashIf := filepath.Join(t.TempDir(), "crash")
		p.Env = append(p.Env, "SCALE_CRASH_IF="+crashIf)
		if err := p.Start(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		// From now on every replacement crashes at once.
		if err := os.WriteFile(crashIf, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "an instance in the edge's pool", func() bool { return len(edgeHosts(p)) == 1 })
		_ = syscall.Kill(pidOf(t, edgeHosts(p)[0]), syscall.SIGKILL)
		<-sink.found
		waitUntil(t, "the crash loop in the status", func() bool {
			in := p.Instances()
			return in[0].CrashLoop && in[0].LastError != ""
		})
		if n := len(p.Edge.Members()); n != 0 {
			t.Errorf("a crash-looping instance is in the edge's pool")
		}
		if err := p.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	p := &Pool{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for _, c := range []struct {
		crashes int
		want    time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second}} {
		if got := p.backoff(c.crashes); got != c.want {
			t.Errorf("backoff(%d) = %s, want %s", c.crashes, got, c.want)
		}
	}
}

// TestKillEndsADrainAtOnce: the operator's second signal. Stop is waiting
// for a drain that would outlast StopTimeout; Kill ends the instances now,
// Stop returns, and nothing is restarted.
func TestKillEndsADrainAtOnce(t *testing.T) {
	sink := &logSink{want: `draining"`, found: make(chan struct{})}
	p := newPool(t, "slow-drain", sink)
	p.StopTimeout = time.Hour
	if err := p.Start(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	pid := p.Instances()[0].PID
	stopped := make(chan error, 1)
	go func() { stopped <- p.Stop() }()
	select {
	case <-sink.found: // the drain has begun
	case <-time.After(time.Minute): // a failsafe
		t.Fatalf("the app never said it drains:\n%s", sink)
	}
	p.Kill()
	select {
	case err := <-stopped:
		if err == nil {
			t.Errorf("Stop after Kill = nil, want the kill reported")
		}
	case <-time.After(10 * time.Second): // a failsafe: Kill waits for the exit
		t.Fatal("Stop still waits after Kill")
	}
	if alive(pid) {
		t.Errorf("the app (pid %d) still runs after Kill", pid)
	}
	if strings.Contains(sink.String(), "app: app:") {
		t.Errorf("a message is named twice:\n%s", sink)
	}
	p.Kill() // again: harmless
}
