package main_test

// `agora up` runs a pool of app instances (issue 11): a crash under load
// costs no GET, a stop under load fails no accepted request, and no app
// instance outlives the supervisor, even a kill -9 of it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/loadtest"
	"agora/internal/scale"
	"agora/internal/scale/autoscale"
)

// upStatus is the edge's status with agora up's pool section.
type upStatus struct {
	edge.Status
	Scale scale.Status `json:"scale"`
}

func poolStatus(t *testing.T, admin string) upStatus {
	t.Helper()
	resp, err := http.Get(admin + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st upStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// startPool runs `agora up` over a small seeded catalog with a pool of two
// instances (--max 2: the autoscaler is tested on its own) and waits until
// both are in the edge's pool and healthy there. extra flags come last, so
// they win.
func startPool(t *testing.T, extra ...string) (s *server, admin string) {
	t.Helper()
	return startPoolOf(t, 2, append([]string{"--min", "2", "--max", "2"}, extra...)...)
}

// startPoolOf runs `agora up` with flags and waits for n instances in the
// edge's pool, all healthy.
func startPoolOf(t *testing.T, n int, flags ...string) (s *server, admin string) {
	t.Helper()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	s = start(t, append([]string{"up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--drain-delay", "0s", "--slow-start", "0s", "--access-log=false"}, flags...)...)
	m := adminAttr.FindStringSubmatch(s.ready)
	if m == nil {
		t.Fatalf("no admin address in %q", s.ready)
	}
	admin = m[1]
	waitPool(t, admin, func(st upStatus) bool {
		return st.Scale.Ready == n && allHealthy(st.Status) && len(st.Pool.Backends) == n
	})
	return s, admin
}

// waitPool polls the status until cond holds.
func waitPool(t *testing.T, admin string, cond func(upStatus) bool) upStatus {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a failsafe, not a timing assertion
	for {
		st := poolStatus(t, admin)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool never got there: %+v", st.Scale)
		}
		time.Sleep(50 * time.Millisecond) // a poll's pace, not a synchronisation
	}
}

func pids(st upStatus) []int {
	var out []int
	for _, in := range st.Scale.Instances {
		if in.PID != 0 {
			out = append(out, in.PID)
		}
	}
	return out
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// load runs the load tool on GET pages only against base, 30 requests a
// second, and returns it started; wait ends it and returns its records.
func load(t *testing.T, base, duration string) (wait func() [][]string) {
	return loadAt(t, base, 30, duration)
}

// loadAt is load at rate requests a second. Each request may take a
// minute: these tests assert that a crash, a stop or a change of the pool
// fails no request, and on a loaded CI machine a race-built pool has
// answered in over 10 s (the load tool's default timeout), which is
// slowness, not a failure of what they test.
func loadAt(t *testing.T, base string, rate int, duration string) (wait func() [][]string) {
	out := filepath.Join(t.TempDir(), "run")
	lt := exec.Command(binary, "loadtest", "--target", base, "--rate", strconv.Itoa(rate), "--duration", duration, "--seed", "7",
		"--mix", "home=2,category=2,product=4,search=2", "--timeout", "1m", "--out", out)
	var stdout, stderr bytes.Buffer
	lt.Stdout, lt.Stderr = &stdout, &stderr
	if err := lt.Start(); err != nil {
		t.Fatal(err)
	}
	return func() [][]string {
		err := lt.Wait()
		t.Logf("loadtest at %d/s (exit %v):\n%s%s", rate, err, stdout.String(), stderr.String())
		return readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	}
}

// noFailures reports every failed request among rows, and returns how many
// there were in all.
func noFailures(t *testing.T, what string, rows [][]string) int {
	t.Helper()
	for _, r := range rows {
		if r[csvCol("outcome")] == string(loadtest.Failed) {
			t.Errorf("failed GET %s: %v", what, r)
		}
	}
	return len(rows)
}

// backendInFlight is the requests the edge has in flight at the instance
// serving url ("" or not in the pool: 0).
func backendInFlight(st upStatus, url string) int64 {
	for _, b := range st.Pool.Backends {
		if url != "" && strings.TrimSuffix(b.URL, "/") == strings.TrimSuffix(url, "/") {
			return b.InFlight
		}
	}
	return 0
}

// served is how many GETs and HEADs the edge answered, hits and misses.
func served(t *testing.T, admin string) uint64 {
	st := poolStatus(t, admin)
	return st.Hits + st.Misses
}

var csvCol = func(name string) int { return slices.Index(loadtest.CSVHeader, name) }

// TestUpPoolCrashAndStop: kill -9 of one instance while it holds requests
// is replaced, and the edge sends those requests to the other instance, so
// no GET fails; SIGTERM under load completes every request the edge
// accepted, and leaves no instance behind.
//
// Every page must reach the app tier for the kill to catch requests there:
// a cache too small to keep any page (--cache-size 1B), and the test
// latency (300ms) so each instance holds several requests at once.
func TestUpPoolCrashAndStop(t *testing.T) {
	s, admin := startPool(t, "--cache-size", "1B", "--test-latency", "300ms")
	st := poolStatus(t, admin)
	victim := st.Scale.Instances[0]
	retriesBefore := st.Retries

	wait := load(t, s.url, "5s")
	// Two requests held by the victim: the kill cuts them off mid-request.
	waitPool(t, admin, func(st upStatus) bool { return backendInFlight(st, victim.URL) >= 2 })
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rows := wait()
	if n := noFailures(t, "after a crash", rows); n < 100 {
		t.Fatalf("%d requests recorded: the run did not happen as planned", n)
	}
	st = waitPool(t, admin, func(st upStatus) bool { return st.Scale.Ready == 2 && !slices.Contains(pids(st), victim.PID) })
	if st.Scale.Instances[0].Restarts != 1 {
		t.Errorf("instances after the crash: %+v, want the first restarted once", st.Scale.Instances)
	}
	if st.Retries <= retriesBefore {
		t.Errorf("edge retries %d before the crash, %d after: the kill cut off no request", retriesBefore, st.Retries)
	}
	t.Logf("%d GETs across the crash; edge retries %d", len(rows), st.Retries-retriesBefore)

	// Stop under load: the edge finishes what it accepted, then the
	// instances drain; afterwards nothing listens (connect_refused), but
	// no accepted request failed.
	children := pids(st)
	wait = load(t, s.url, "5s")
	n := served(t, admin)
	// The load tool reads the catalog first; then about two seconds of
	// load, counted at the edge.
	for served(t, admin) < n+80 {
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	s.stop(t)
	rows = wait()
	ok := 0
	for _, r := range rows {
		switch {
		case r[csvCol("outcome")] != string(loadtest.Failed):
			ok++
		case r[csvCol("cause")] != string(loadtest.ConnectRefused):
			t.Errorf("an accepted request failed during the stop: %v", r)
		}
	}
	if ok < 30 {
		t.Errorf("only %d requests succeeded: the stop came before the load", ok)
	}
	for _, pid := range children {
		if !gone(pid) {
			t.Errorf("app instance %d outlived agora up", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestUpPoolKilledSupervisorLeavesNoInstance: kill -9 of agora up, which
// cannot stop anything itself; the kernel's parent-death signal does.
func TestUpPoolKilledSupervisorLeavesNoInstance(t *testing.T) {
	s, admin := startPool(t)
	children := pids(poolStatus(t, admin))
	if len(children) != 2 {
		t.Fatalf("instances: %v", children)
	}
	s.kill(t)
	deadline := time.Now().Add(time.Minute) // a failsafe: the instances drain for --drain-delay 0s
	for _, pid := range children {
		for !gone(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("app instance %d outlived a kill -9 of agora up", pid)
			}
			time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
		}
	}
}

// TestUpPoolRampQuietBurst (issue 11's Ramp, Quiet and Burst, short): the
// app's work made I/O-bound (--test-latency 100ms, and no page cached, so
// every request reaches the app tier) and one instance sized for one
// request in flight. Load rising in steps grows the pool, each step a
// decision with its reason, and no request fails; when the load falls to
// a trickle the pool drains back to --min after the stable window; a 10×
// step from there takes the panic path. The decisions are asserted, never
// how long they took: bench/ramp.sh measures that at full scale.
func TestUpPoolRampQuietBurst(t *testing.T) {
	s, admin := startPoolOf(t, 1, "--min", "1", "--max", "4", "--target-inflight", "1",
		"--scale-interval", "200ms", "--stable-window", "6s", "--test-latency", "100ms", "--cache-size", "1B")

	// Ramp. By Little's law the edge has at least rate × 100ms in flight:
	// 3 at 30/s, so three instances.
	for _, rate := range []int{3, 10, 20, 30} {
		noFailures(t, "during the ramp", loadAt(t, s.url, rate, "3s")())
	}
	st := poolStatus(t, admin)
	ups := grew(st.Scale.Decisions)
	if len(ups) == 0 {
		t.Fatalf("the pool never grew: %+v", st.Scale)
	}
	for _, d := range ups {
		t.Logf("%d → %d (%s): %s", d.From, d.To, d.Mode, d.Reason)
		if d.Reason == "" {
			t.Errorf("a decision without a reason: %+v", d)
		}
	}
	peak := 0
	for _, p := range st.Scale.History {
		peak = max(peak, p.Size)
	}
	if peak < 2 {
		t.Errorf("the pool peaked at %d instances at 30 requests/s: %+v", peak, st.Scale.History)
	}

	// Quiet: a trickle while the pool drains back to --min.
	downsBefore := len(st.Scale.Decisions) - len(ups)
	trickle := loadAt(t, s.url, 2, "15s")
	st = waitPool(t, admin, func(st upStatus) bool { return st.Scale.Size == 1 && st.Scale.Ready == 1 && !st.Scale.Panicking })
	downs := shrank(st.Scale.Decisions)
	if len(downs) <= downsBefore || downs[len(downs)-1].To != 1 {
		t.Errorf("no decision took the pool back to --min: %+v", st.Scale.Decisions)
	}
	for _, d := range downs {
		t.Logf("%d → %d (%s): %s", d.From, d.To, d.Mode, d.Reason)
	}
	noFailures(t, "while the pool shrank", trickle())

	// Burst: 4/s, then 40/s. The panic window (a tenth of the stable one)
	// sees at least 4 in flight: a need of four instances, past the
	// threshold of twice the size the 4/s left (one, at most two).
	noFailures(t, "before the burst", loadAt(t, s.url, 4, "2s")())
	st = poolStatus(t, admin)
	panicsBefore, sizeBefore := len(panics(st.Scale.Decisions)), st.Scale.Desired
	noFailures(t, "during the burst", loadAt(t, s.url, 40, "4s")())
	st = poolStatus(t, admin)
	if p := panics(st.Scale.Decisions); len(p) <= panicsBefore {
		t.Errorf("a 10× step from %d instances took no panic decision: %+v", sizeBefore, st.Scale.Decisions)
	} else {
		t.Logf("burst: %d → %d: %s", p[panicsBefore].From, p[panicsBefore].To, p[panicsBefore].Reason)
	}
}

func grew(ds []autoscale.Decision) []autoscale.Decision {
	return slices.DeleteFunc(slices.Clone(ds), func(d autoscale.Decision) bool { return d.To <= d.From })
}

func shrank(ds []autoscale.Decision) []autoscale.Decision {
	return slices.DeleteFunc(slices.Clone(ds), func(d autoscale.Decision) bool { return d.To >= d.From })
}

// panics are the decisions that grew the pool in panic mode.
func panics(ds []autoscale.Decision) []autoscale.Decision {
	return slices.DeleteFunc(grew(ds), func(d autoscale.Decision) bool { return d.Mode != autoscale.Panic })
}
