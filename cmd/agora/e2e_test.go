package main_test

// End-to-end: the real binary, real processes, real HTTP on loopback.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// binary is agora built with the race detector: the processes of the
// end-to-end tests run with it, as the rest of the tests do, and a race it
// reports fails the test that ran the process (see raceReported).
var binary string

// binDir holds the binaries built for this run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "agora-e2e")
	if err != nil {
		panic(err)
	}
	binDir = dir
	binary = filepath.Join(dir, "agora")
	if err := buildAgora(binary, "-race"); err != nil {
		fmt.Fprintln(os.Stderr, "building agora -race:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildAgora(out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	return build.Run()
}

var (
	plainOnce sync.Once
	plainBin  string
	plainErr  error
)

// plainBinary is agora built without the race detector, built on first use,
// for benchmarks run through the tests (bench/pops.sh): a race build serves
// about 8 times fewer requests. The tests themselves run the race build
// only: go test -race has compiled its dependencies already, where a plain
// build would compile them all again (minutes on a cold 2-core machine).
func plainBinary(t *testing.T) string {
	t.Helper()
	plainOnce.Do(func() {
		plainBin = filepath.Join(binDir, "agora-plain")
		plainErr = buildAgora(plainBin)
	})
	if plainErr != nil {
		t.Fatalf("building agora without -race: %v", plainErr)
	}
	return plainBin
}

// withoutArgvWarning drops the warning about a secret given on the command
// line (cmd/agora/secrets.go) from a process's standard error, for tests
// that count the lines of an error message.
func withoutArgvWarning(stderr string) string {
	var keep []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !strings.Contains(l, "a secret was given on the command line") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// raceReported fails t when a process's output holds a race report.
func raceReported(t *testing.T, output string) {
	t.Helper()
	if i := strings.Index(output, "WARNING: DATA RACE"); i >= 0 {
		t.Errorf("the race detector reported a race in an agora process:\n%s", output[i:])
	}
}

// run runs agora to completion and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	raceReported(t, errb.String())
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("agora %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// cleanEnv keeps AGORA_* settings of the developer's shell out of the tests.
//
// It also turns the edge's firewall off (AGORA_WAF=off; a --waf flag still
// wins): the processes are race-built, and the Core Rule Set's regular
// expressions under the race detector cost a loaded CI machine tens of
// milliseconds per request, which times out load runs that test other
// things. The firewall's own tests (waf_e2e_test.go, internal/edge/waf)
// pass --waf block and measure it without the race detector in
// BenchmarkWAF.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AGORA_") {
			env = append(env, kv)
		}
	}
	return append(env, "AGORA_WAF=off")
}

// server is a running agora process.
type server struct {
	cmd *exec.Cmd
	url string
	// ready is the line it logged when it began serving.
	ready  string
	done   chan error
	mu     sync.Mutex
	logs   strings.Builder // protected by mu
	grew   chan struct{}   // protected by mu; closed and replaced when logs grows
	ended  bool            // protected by mu; the process exited
	stdout strings.Builder // protected by mu
}

// stdoutWriter appends the process's standard output to s.stdout.
type stdoutWriter struct{ s *server }

func (w stdoutWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.stdout.Write(p)
	close(w.s.grew)
	w.s.grew = make(chan struct{})
	return len(p), nil
}

// out is what the process wrote to standard output so far.
func (s *server) out() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

// waitLog waits until the server's log holds want, and fails the test if
// the process exits first.
func (s *server) waitLog(t *testing.T, want string) {
	t.Helper()
	s.waitFor(t, want, func() string { return s.logs.String() })
}

// waitOut is waitLog for standard output.
func (s *server) waitOut(t *testing.T, want string) {
	t.Helper()
	s.waitFor(t, want, func() string { return s.stdout.String() })
}

// waitFor waits until text(), called with mu held, holds want.
func (s *server) waitFor(t *testing.T, want string, text func() string) {
	t.Helper()
	timeout := time.After(3 * time.Minute) // a failsafe, not a synchronization
	for {
		s.mu.Lock()
		found, grew, ended := strings.Contains(text(), want), s.grew, s.ended
		s.mu.Unlock()
		if found {
			return
		}
		if ended {
			t.Fatalf("the process exited before writing %q:\n%s", want, s.log())
		}
		select {
		case <-grew:
		case <-timeout:
			t.Fatalf("%q not written within 3 minutes:\n%s", want, s.log())
		}
	}
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

var servingLine = regexp.MustCompile(`msg=serving url=(https?://\S+)`)

// start runs agora until it logs that it serves, and returns its address.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	return startBinary(t, binary, args...)
}

// startBinary is start with another build of agora (plainBinary).
func startBinary(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1), grew: make(chan struct{})}
	cmd.Stdout = stdoutWriter{s}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			close(s.grew)
			s.grew = make(chan struct{})
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case urls <- []string{m[1], line}:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) // after an overlong line: never let a full pipe block the server
		s.done <- cmd.Wait()
		s.mu.Lock()
		close(s.grew) // wake waitLog: nothing more will come
		s.grew, s.ended = make(chan struct{}), true
		s.mu.Unlock()
		close(urls)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
		raceReported(t, s.log())
	})
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("agora %v exited before serving:\n%s", args, s.log())
		}
		s.url, s.ready = u[0], u[1]
	case <-time.After(3 * time.Minute): // a failsafe, not a synchronization
		t.Fatalf("agora %v did not serve within 3 minutes:\n%s", args, s.log())
	}
	return s
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var productLink = regexp.MustCompile(`href="(/products/[a-z0-9-]+)"`)
var categoryLink = regexp.MustCompile(`href="(/categories/[a-z0-9-]+)"`)
var assetLink = regexp.MustCompile(`"(/static/app\.[0-9a-f]+\.css)"`)

// walkStore checks the pages a shopper would open, starting at the home page.
// Behind the edge (viaEdge), tags are stripped and Cache-Status is added.
func walkStore(t *testing.T, base string, viaEdge bool) {
	t.Helper()
	resp, home := get(t, base+"/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "s-maxage") || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("home: %d %v", resp.StatusCode, resp.Header)
	}
	if tags := resp.Header.Get("Surrogate-Key"); viaEdge != (tags == "") || !viaEdge && !strings.Contains(tags, "home") {
		t.Errorf("home tags = %q (via the edge: %v)", tags, viaEdge)
	}
	if viaEdge && resp.Header.Get("Cache-Status") == "" {
		t.Errorf("home through the edge has no Cache-Status: %v", resp.Header)
	}
	prod := productLink.FindStringSubmatch(home)
	cat := categoryLink.FindStringSubmatch(home)
	css := assetLink.FindStringSubmatch(home)
	if prod == nil || cat == nil || css == nil {
		t.Fatalf("home page lacks product, category or stylesheet links:\n%.2000s", home)
	}
	for _, path := range []string{prod[1], cat[1], cat[1] + "?sort=price_desc&page=2", "/search?q=the", "/sitemap.xml", "/robots.txt", "/api/v1/products?per_page=3", "/api/v1/categories"} {
		if resp, body := get(t, base+path); resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	resp, _ = get(t, base+css[1])
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("stylesheet: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	resp, body := get(t, base+"/products/no-such-thing")
	if resp.StatusCode != 404 || !strings.Contains(strings.ToLower(body), "not found") {
		t.Errorf("unknown product: %d", resp.StatusCode)
	}
	resp, _ = get(t, base+"/search?q="+strings.Repeat("x", 10*1024))
	if resp.StatusCode != http.StatusRequestURITooLong {
		t.Errorf("10 KB query string: %d, want 414", resp.StatusCode)
	}
	// Product images are served from media storage.
	_, page := get(t, base+prod[1])
	if m := regexp.MustCompile(`src="(/media/[0-9a-f]{64}[^"]*)"`).FindStringSubmatch(page); m == nil {
		t.Errorf("product page shows no media image")
	} else if resp, _ := get(t, base+m[1]); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Errorf("GET %s: %d %s", m[1], resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// stop sends SIGTERM and expects a clean drain and exit 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-s.done; err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, s.log())
	}
	if !strings.Contains(s.log(), "stopped cleanly") {
		t.Errorf("no clean stop in the log:\n%s", s.log())
	}
}

func TestUpDemoServesTheStore(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			args := []string{"up", "--demo", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--drain-delay", "0s"}
			if d == store.Postgres {
				args = append(args, "--db", storetest.URL(t, d))
			}
			s := start(t, args...)
			walkStore(t, s.url, true)
			s.stop(t)
			// One prefix on the app's lines (they read "app: app: draining").
			if !strings.Contains(s.log(), `msg="app: draining"`) || strings.Contains(s.log(), "app: app:") {
				t.Errorf("want the app's lines named once:\n%s", s.log())
			}

			// A second start on the existing data serves at once, without
			// seeding again.
			s = start(t, args...)
			if strings.Contains(s.log(), "seeding") {
				t.Errorf("second start seeded again:\n%s", s.log())
			}
			walkStore(t, s.url, true)
			s.stop(t)
		})
	}
}

func TestMigrateSeedAppOnPostgres(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t, store.Postgres)
	mediaDir := t.TempDir()
	if code, _, errOut := run(t, "app", "--db", db, "--media", mediaDir, "--listen", "127.0.0.1:0"); code != 1 || !strings.Contains(errOut, "agora migrate") {
		t.Errorf("app on an empty database: exit %d, %q; want 1 and a hint to migrate", code, errOut)
	}
	if code, out, errOut := run(t, "migrate", "--db", db); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, "migrate", "--db", db); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate: %d %s", code, out)
	}
	if code, out, errOut := run(t, "seed", "--db", db, "--media", mediaDir, "--products", "60", "--categories", "8", "--quiet"); code != 0 || !strings.Contains(out, "60 products") {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run(t, "seed", "--db", db, "--media", mediaDir, "--products", "60", "--quiet"); code == 0 || !strings.Contains(errOut, "already") {
		t.Errorf("seeding a seeded store: %d %q, want a refusal", code, errOut)
	}
	s := start(t, "app", "--db", db, "--media", mediaDir, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--drain-delay", "0s")
	walkStore(t, s.url, false)
	s.stop(t)
}

func TestBadSetupFailsWithOneClearLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	os.WriteFile(corrupt, []byte(strings.Repeat("garbage ", 1000)), 0o600)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing db directory", []string{"app", "--db", "sqlite:" + filepath.Join(dir, "none", "x.db")}, 1, "does not exist"},
		{"corrupt db", []string{"migrate", "--db", "sqlite:" + corrupt}, 1, "not a valid SQLite database"},
		{"unreachable postgres", []string{"migrate", "--db", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2"}, 1, "cannot reach PostgreSQL"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", []string{"app", "--nope"}, 2, "flag provided but not defined"},
		{"unknown profile", []string{"seed", "--profile", "huge", "--db", "sqlite:" + filepath.Join(dir, "s.db")}, 2, "unknown --profile"},
		{"bad env twin", []string{"app"}, 2, "AGORA_DRAIN_DELAY"},
		{"pool bounds", []string{"up", "--data", filepath.Join(dir, "up"), "--min", "3", "--max", "2"}, 2, "--max (2) must be at least --min (3)"},
		{"negative test latency", []string{"app", "--test-latency", "-1ms"}, 2, "--test-latency cannot be negative"},
		{"negative test latency, up", []string{"up", "--data", filepath.Join(dir, "up"), "--test-latency", "-1ms"}, 2, "--test-latency cannot be negative"},
		{"negative max in flight, up", []string{"up", "--data", filepath.Join(dir, "up"), "--max-inflight", "-1"}, 2, "--max-inflight must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			var code int
			var errOut string
			if c.name == "bad env twin" {
				cmd := exec.Command(binary, args...)
				cmd.Env = append(cleanEnv(), "AGORA_DRAIN_DELAY=soon")
				out, _ := cmd.CombinedOutput()
				code, errOut = cmd.ProcessState.ExitCode(), string(out)
			} else {
				code, _, errOut = run(t, args...)
			}
			errOut = withoutArgvWarning(errOut) // a password in --db is warned about; the error is what is checked
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, c.code, c.want)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("the password leaked: %q", errOut)
			}
			if c.code == 1 && strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("want one line, got %q", errOut)
			}
		})
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "--help")
	if code != 0 || !strings.Contains(out, "agora up --demo") {
		t.Errorf("agora --help: %d %s", code, out)
	}
	for _, cmd := range []string{"up", "app", "migrate", "seed", "version"} {
		code, out, _ := run(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "Usage: agora "+cmd) {
			t.Errorf("agora %s --help: exit %d\n%s", cmd, code, out)
		}
		for _, flagLine := range regexp.MustCompile(`(?m)^  --([a-z-]+)  \[(AGORA_[A-Z_]+)\]`).FindAllStringSubmatch(out, -1) {
			if want := "AGORA_" + strings.ToUpper(strings.ReplaceAll(flagLine[1], "-", "_")); flagLine[2] != want {
				t.Errorf("%s: flag --%s has env %s, want %s", cmd, flagLine[1], flagLine[2], want)
			}
		}
	}
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "agora ") {
		t.Errorf("version: %d %q", code, out)
	}
}
