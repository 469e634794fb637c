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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	go http.Serve(ln, http.NotFoundHandler())
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

func newSupervisor(t *testing.T, mode string, sink *logSink) *Supervisor {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Supervisor{
		Path: self, Args: []string{"-test.run=^$"},
		Env:        append(os.Environ(), "SCALE_CHILD="+mode),
		Log:        slog.New(slog.NewTextHandler(sink, nil)),
		MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		StopTimeout: 30 * time.Second,
	}
}

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

func TestSupervisorServesRestartsAndStops(t *testing.T) {
	sink := &logSink{}
	s := newSupervisor(t, "serve", sink)
	served := make(chan string, 4)
	s.OnServing = func(a string) { served <- a }
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := <-served
	if s.Addr() != first || !strings.HasPrefix(body(t, first), "pid") {
		t.Fatalf("Addr %q, first %q", s.Addr(), first)
	}
	log := sink.String()
	if strings.Contains(log, "msg=serving") {
		t.Errorf("the child's line passes for the parent's:\n%s", log)
	}

	// A killed instance is replaced.
	var pid int
	fmt.Sscanf(body(t, first), "pid %d", &pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := <-served
	if got := body(t, second); got == fmt.Sprintf("pid %d", pid) {
		t.Errorf("still the killed instance: %s", got)
	}
	if !strings.Contains(sink.String(), "app exited; restarting") {
		t.Errorf("the crash is not reported:\n%s", sink.String())
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, want := range []string{`msg="app: serving"`, `msg="app: stopped cleanly"`, `msg="app output" pid=`, `line="not json`} {
		if !strings.Contains(sink.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, sink.String())
		}
	}
}

func TestSupervisorReportsFailures(t *testing.T) {
	t.Run("exit before serving fails Start", func(t *testing.T) {
		s := newSupervisor(t, "crash", &logSink{})
		if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "before serving") {
			t.Errorf("Start: %v", err)
		}
	})
	t.Run("a crash loop is reported", func(t *testing.T) {
		sink := &logSink{want: "app is crash looping", found: make(chan struct{})}
		s := newSupervisor(t, "serve", sink)
		crashIf := filepath.Join(t.TempDir(), "crash")
		s.Env = append(s.Env, "SCALE_CRASH_IF="+crashIf)
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		// From now on every replacement crashes at once.
		if err := os.WriteFile(crashIf, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var pid int
		fmt.Sscanf(body(t, s.Addr()), "pid %d", &pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-sink.found
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	s := &Supervisor{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for _, c := range []struct {
		crashes int
		want    time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second}} {
		if got := s.backoff(c.crashes); got != c.want {
			t.Errorf("backoff(%d) = %s, want %s", c.crashes, got, c.want)
		}
	}
}

// TestKillEndsADrainAtOnce: the operator's second signal. Stop is waiting
// for a drain that would outlast StopTimeout; Kill ends the instance now,
// Stop returns, and nothing is restarted.
func TestKillEndsADrainAtOnce(t *testing.T) {
	sink := &logSink{want: `draining"`, found: make(chan struct{})}
	s := newSupervisor(t, "slow-drain", sink)
	s.StopTimeout = time.Hour
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // whatever happens, no child outlives the test
		s.mu.Lock()
		c := s.cur
		s.mu.Unlock()
		if c != nil {
			_ = c.cmd.Process.Kill()
		}
	})
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	select {
	case <-sink.found: // the drain has begun
	case <-time.After(time.Minute): // a failsafe
		t.Fatalf("the app never said it drains:\n%s", sink)
	}
	s.Kill()
	select {
	case err := <-stopped:
		if err == nil {
			t.Errorf("Stop after Kill = nil, want the kill reported")
		}
	case <-time.After(10 * time.Second): // a failsafe: Kill waits for the exit
		t.Fatal("Stop still waits after Kill")
	}
	select {
	case <-c.exited: // waited for, so the process is gone
	default:
		t.Errorf("the app (pid %d) still runs after Kill", c.pid)
	}
	if strings.Contains(sink.String(), "app: app:") {
		t.Errorf("a message is named twice:\n%s", sink)
	}
	s.Kill() // again: harmless
}
