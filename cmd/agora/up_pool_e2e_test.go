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
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/loadtest"
	"agora/internal/scale"
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
// both are in the edge's pool and healthy there.
func startPool(t *testing.T) (s *server, admin string) {
	t.Helper()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	s = start(t, "up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--drain-delay", "0s", "--min", "2", "--max", "2", "--slow-start", "0s", "--access-log=false")
	m := adminAttr.FindStringSubmatch(s.ready)
	if m == nil {
		t.Fatalf("no admin address in %q", s.ready)
	}
	admin = m[1]
	waitPool(t, admin, func(st upStatus) bool {
		return st.Scale.Ready == 2 && allHealthy(st.Status) && len(st.Pool.Backends) == 2
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

// load runs the load tool on GET pages only against base and returns it
// started, with where its records go.
func load(t *testing.T, base, duration string) (wait func() [][]string) {
	out := filepath.Join(t.TempDir(), "run")
	lt := exec.Command(binary, "loadtest", "--target", base, "--rate", "30", "--duration", duration, "--seed", "7",
		"--mix", "home=2,category=2,product=4,search=2", "--out", out)
	var stdout, stderr bytes.Buffer
	lt.Stdout, lt.Stderr = &stdout, &stderr
	if err := lt.Start(); err != nil {
		t.Fatal(err)
	}
	return func() [][]string {
		err := lt.Wait()
		t.Logf("loadtest (exit %v):\n%s%s", err, stdout.String(), stderr.String())
		return readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	}
}

// served is how many GETs and HEADs the edge answered, hits and misses.
func served(t *testing.T, admin string) uint64 {
	st := poolStatus(t, admin)
	return st.Hits + st.Misses
}

var csvCol = func(name string) int { return slices.Index(loadtest.CSVHeader, name) }

// TestUpPoolCrashAndStop: kill -9 of one instance under load is replaced
// and costs no GET; SIGTERM under load completes every request the edge
// accepted, and leaves no instance behind.
func TestUpPoolCrashAndStop(t *testing.T) {
	s, admin := startPool(t)
	before := pids(poolStatus(t, admin))

	wait := load(t, s.url, "5s")
	for requests(edgeStatus(t, admin)) < 30 { // about a second of load: a count, not a sleep
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	if err := syscall.Kill(before[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	rows := wait()
	for _, r := range rows {
		if r[csvCol("outcome")] == string(loadtest.Failed) {
			t.Errorf("failed GET after a crash: %v", r)
		}
	}
	if len(rows) < 100 {
		t.Fatalf("%d requests recorded: the run did not happen as planned", len(rows))
	}
	st := waitPool(t, admin, func(st upStatus) bool { return st.Scale.Ready == 2 && !slices.Contains(pids(st), before[0]) })
	if st.Scale.Instances[0].Restarts != 1 {
		t.Errorf("instances after the crash: %+v, want the first restarted once", st.Scale.Instances)
	}
	t.Logf("%d GETs across the crash; edge retries %d", len(rows), st.Retries)

	// Stop under load: the edge finishes what it accepted, then the
	// instances drain; afterwards nothing listens (connect_refused), but
	// no accepted request failed.
	children := pids(st)
	wait = load(t, s.url, "5s")
	n := served(t, admin)
	// The load tool reads the catalog first; then about two seconds of
	// load. Most are cache hits now: counted at the edge.
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
