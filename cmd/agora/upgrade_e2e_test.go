package main_test

// Upgrades without downtime (issue 11): `agora up` replaces its app
// instances with the binary on disk one at a time (SIGHUP, agora reload),
// refuses a bad new binary and keeps the old instances serving; `agora
// edge` hands its listening socket to a new process on SIGUSR2. All under
// load, with no failed request of any kind.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
)

// install puts the file src at dst as a package manager would: written
// beside it, then renamed over it (a running binary cannot be written in
// place: ETXTBSY).
func install(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	tmp := dst + ".new"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

// inode is the inode of the file at path, or of a process's executable
// with path /proc/PID/exe: which build a process runs.
func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestUpReload: under the shopper mix, (1) a new binary that exits at
// once (a script: exit 1) aborts `agora reload` at its first instance:
// the command fails and says so, the status page says so, the old
// instances keep serving; (2) SIGHUP after a good build was installed over
// the path replaces every instance with a process of that build. Not one
// request of the load fails.
//
// The "new build" is the test binary itself, installed by rename over the
// copy agora up runs: the same code, a new file, so /proc/PID/exe tells
// which file each instance runs.
func TestUpReload(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "agora")
	install(t, binary, bin)
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	const secret = "e2e-reload-secret"
	s := startBinary(t, bin, "up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--cluster-secret", secret, "--drain-delay", "0s", "--min", "2", "--max", "2", "--slow-start", "0s", "--access-log=false")
	m := adminAttr.FindStringSubmatch(s.ready)
	if m == nil {
		t.Fatalf("no admin address in %q", s.ready)
	}
	admin := m[1]
	st := waitPool(t, admin, func(st upStatus) bool {
		return st.Scale.Ready == 2 && allHealthy(st.Status) && len(st.Pool.Backends) == 2
	})
	before := pids(st)
	lt := startLoad(t, s.url, 30, time.Minute, shopperMix)
	waitPool(t, admin, func(st upStatus) bool { return st.Hits+st.Misses >= 30 }) // the load is on

	// (1) A bad new binary.
	good := filepath.Join(dir, "agora.good")
	if err := os.Link(bin, good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho 'this build is broken' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	install(t, bad, bin)
	code, out, errOut := run(t, "reload", "--admin", admin, "--cluster-secret", secret)
	if code == 0 || !strings.Contains(errOut, "reload aborted at instance 1 of 2") || !strings.Contains(errOut, "old instances keep serving") {
		t.Errorf("agora reload of a bad binary: exit %d, %q %q; want a failure that says the reload was aborted", code, out, errOut)
	}
	st = poolStatus(t, admin)
	if r := st.Scale.Reload; r == nil || r.Active || r.Replaced != 0 || !strings.Contains(r.Error, "did not become ready") {
		t.Errorf("status after the abort: %+v", r)
	}
	if got := pids(st); !slices.Equal(got, before) || st.Scale.Ready != 2 {
		t.Errorf("after the abort: pids %v, ready %d; want %v still serving", got, st.Scale.Ready, before)
	}
	_, page := get(t, admin+"/_agora/")
	if !strings.Contains(page, "last reload ABORTED") {
		t.Errorf("the status page does not show the abort")
	}
	s.waitLog(t, "reload ABORTED")

	// (2) A good new build, by SIGHUP.
	install(t, good, bin)
	newBuild := inode(t, bin)
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "reload: done")
	st = waitPool(t, admin, func(st upStatus) bool { return st.Scale.Ready == 2 && len(pids(st)) == 2 })
	if r := st.Scale.Reload; r == nil || r.Active || r.Replaced != 2 || r.Error != "" {
		t.Errorf("status after the reload: %+v", r)
	}
	for _, pid := range pids(st) {
		if slices.Contains(before, pid) {
			t.Errorf("pid %d was not replaced (before: %v)", pid, before)
		} else if got := inode(t, fmt.Sprintf("/proc/%d/exe", pid)); got != newBuild {
			t.Errorf("pid %d runs inode %d, not the new build's %d", pid, got, newBuild)
		}
	}
	for _, pid := range before {
		if !gone(pid) {
			t.Errorf("old instance %d still runs", pid)
		}
	}
	for _, step := range []string{"SIGHUP: reloading the app tier", "reload: starting an instance of the new binary", "reload: the new instance is in the edge's pool; draining an old one", "reload: replaced"} {
		if !strings.Contains(s.log(), step) {
			t.Errorf("the log lacks %q", step)
		}
	}
	waitPool(t, admin, func(st upStatus) bool { return allHealthy(st.Status) })

	// (3) SIGUSR2: a new agora up on the same sockets, with its own app
	// instances; the old one drains and stops with its instances.
	oldApps := pids(st)
	s.signal(t, syscall.SIGUSR2)
	s.waitLog(t, "edge upgrade: the new process serves")
	m = upgradedPID.FindStringSubmatch(s.log())
	if m == nil {
		t.Fatalf("no new pid in the log:\n%s", ownLines(s.log()))
	}
	newUp, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { _ = syscall.Kill(newUp, syscall.SIGKILL) }) // its instances die with it (Pdeathsig)
	pollUntil(t, "the old agora up to exit", func() bool { return exitedPID(s.cmd.Process.Pid) })
	for _, pid := range oldApps {
		if !gone(pid) {
			t.Errorf("the old supervisor's instance %d still runs", pid)
		}
	}
	st = waitPool(t, admin, func(st upStatus) bool { return st.Scale.Ready == 2 && allHealthy(st.Status) })
	for _, pid := range pids(st) {
		if slices.Contains(oldApps, pid) || ppid(t, pid) != newUp {
			t.Errorf("instance %d is not the new supervisor's (%d)", pid, newUp)
		}
	}
	before2 := served(t, admin)
	waitPool(t, admin, func(st upStatus) bool { return st.Hits+st.Misses >= before2+30 }) // load through the new edge

	recs := lt.stop(t)
	if f := recs.failed(); len(f) > 0 || len(recs) < 30 {
		t.Errorf("%d of %d requests failed during the upgrades; the supervisor's own log:\n%s", len(f), len(recs), ownLines(s.log()))
	}
	t.Logf("%d requests, none failed", len(recs))
	if err := syscall.Kill(newUp, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-s.done; err != nil { // the harness's stderr ends with the new supervisor and its instances
		t.Errorf("the old agora up exited with %v", err)
	}
	for _, pid := range append(pids(st), newUp) {
		if !exitedPID(pid) { // the new agora up's parent is gone: init reaps it, in its own time
			t.Errorf("%d still runs after the new agora up stopped", pid)
		}
	}
	if n := strings.Count(s.log(), "stopped cleanly"); n < 2 {
		t.Errorf("%d clean stops in the log, want one per agora up:\n%s", n, ownLines(s.log()))
	}
}

// ppid is the parent of pid.
func ppid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), ") ")
	var state string
	var parent int
	fmt.Sscanf(after, "%s %d", &state, &parent)
	return parent
}

// ownLines are the lines of an agora up log that are not an app
// instance's (those begin "app: "): the supervisor's and the edge's.
func ownLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, `msg="app: `) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

var upgradedPID = regexp.MustCompile(`new_pid=(\d+)`)

// TestEdgeUpgradeHandsOverTheSocket: SIGUSR2 to `agora edge` under load
// starts a new edge process on the same listening sockets (public and
// admin); the old one drains and exits 0; not one request fails. The new
// process starts with an empty cache: its first requests are misses, served
// by the apps.
func TestEdgeUpgradeHandsOverTheSocket(t *testing.T) {
	tier := startEdgeTier(t, 2)
	waitStatus(t, tier.admin, "every backend healthy", allHealthy)
	old := tier.edge.cmd.Process.Pid
	lt := startLoad(t, tier.edge.url, 30, time.Minute, shopperMix)
	waitStatus(t, tier.admin, "the load on", func(st edge.Status) bool { return st.Hits+st.Misses >= 30 })

	tier.edge.signal(t, syscall.SIGUSR2)
	tier.edge.waitLog(t, "edge upgrade: the new process serves")
	m := upgradedPID.FindStringSubmatch(tier.edge.log())
	if m == nil {
		t.Fatalf("no new pid in the log:\n%s", tier.edge.log())
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	// The old process stops cleanly; the new one keeps the same log (and
	// the same stderr), so the harness sees both.
	tier.edge.waitLog(t, "stopped cleanly")
	pollUntil(t, "the old edge to exit", func() bool { return exitedPID(old) })
	if pid == old || gone(pid) {
		t.Fatalf("new edge pid %d (old %d) is not running", pid, old)
	}
	// The same admin address answers from the new process, which is past
	// its first requests.
	before := edgeStatus(t, tier.admin).Hits + edgeStatus(t, tier.admin).Misses
	waitStatus(t, tier.admin, "requests through the new edge", func(st edge.Status) bool { return st.Hits+st.Misses >= before+30 })

	recs := lt.stop(t)
	if f := recs.failed(); len(f) > 0 || len(recs) < 30 {
		t.Errorf("%d of %d requests failed across the edge upgrade", len(f), len(recs))
	}
	t.Logf("%d requests, none failed", len(recs))
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-tier.edge.done; err != nil { // the harness's stderr ends with the new edge
		t.Errorf("the old edge exited with %v", err)
	}
	if !strings.Contains(tier.edge.log(), "upgraded=true") {
		t.Errorf("the new edge did not say it serves inherited sockets")
	}
}

// exitedPID reports whether pid has exited: gone, or a zombie not yet
// reaped (the harness reaps the old edge only once the new one, which
// shares its stderr, is gone too).
func exitedPID(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "Z")
}

// pollUntil polls cond.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a failsafe, not a timing assertion
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
}
