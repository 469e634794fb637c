package main_test

// Load balancing end to end (issue 10): `agora app` processes on one
// PostgreSQL schema behind `agora edge`, the load tool driving, one app
// killed mid-run. faults_e2e_test.go has the other faults; the helpers
// here serve both.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/loadtest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestEdgeKillOneBackend: a kill -9 of one of three apps under the shopper
// mix costs no GET or HEAD, and every checkout the load tool saw succeed is
// in the database exactly once (none lost, none duplicated by a retry).
//
// The victim is killed once it has served a real share of the load and
// while it holds requests: it is stopped first (SIGSTOP) until the edge
// counts one in flight on it, so the kill always cuts a request the edge
// must retry elsewhere, not only new connections it must redirect.
func TestEdgeKillOneBackend(t *testing.T) {
	t.Parallel()
	tier := startLBTier(t, lbConfig{apps: 3, edgeArgs: []string{"--health-interval", "500ms", "--health-timeout", "2s", "--slow-start", "0s"}})
	lt := startLoad(t, tier.edge.url, 30, time.Minute, "home=2,category=2,product=4,search=2,cart=4,checkout=3")

	victim := tier.apps[0]
	waitStatus(t, tier.admin, "the victim to serve 20 requests and hold one", func(st edge.Status) bool {
		b := tier.backend(t, st, 0)
		return b.Requests >= 20 && b.InFlight >= 1
	})
	victim.signal(t, syscall.SIGSTOP)
	held := waitStatus(t, tier.admin, "a request in flight on the stopped victim", func(st edge.Status) bool {
		return tier.backend(t, st, 0).InFlight >= 1
	})
	victim.kill(t)
	// Then 90 requests more to the others.
	more := requests(held) + 90
	waitStatus(t, tier.admin, "90 requests more", func(st edge.Status) bool { return requests(st) >= more })
	recs := lt.stop(t)

	gets := recs.count(func(r loadRecord) bool { return r.isRead() })
	if failed := recs.filter(func(r loadRecord) bool { return r.isRead() && r.Outcome == string(loadtest.Failed) }); len(failed) > 0 {
		t.Errorf("%d of %d GETs failed: %v", len(failed), gets, failed)
	}
	orders := checkOrders(t, tier.db, recs)
	st := edgeStatus(t, tier.admin)
	killed, atKill := tier.backend(t, st, 0), tier.backend(t, held, 0)
	// What the kill cut, and the connections refused after it, went to
	// another app, or, for an unsafe request the edge may not replay (an
	// add to a cart), ended in a clear error the load tool counted.
	unsafeFailed := recs.count(func(r loadRecord) bool { return !r.isRead() && r.Outcome == string(loadtest.Failed) })
	t.Logf("retry budget %+v", st.Budget)
	t.Logf("%d GETs, %d orders; edge: %d retries; victim at the kill: %d served, %d in flight; after: %+v; failed unsafe requests: %d",
		gets, orders, st.Retries, atKill.Requests, atKill.InFlight, killed, unsafeFailed)
	if gets < 60 || orders == 0 {
		t.Errorf("%d GETs and %d orders recorded: the run did not happen as planned", gets, orders)
	}
	if killed.Failures < uint64(atKill.InFlight) || st.Retries+uint64(unsafeFailed) < killed.Failures {
		t.Errorf("the victim held %d requests at the kill and failed %d in all; the edge retried %d, and %d unsafe requests failed",
			atKill.InFlight, killed.Failures, st.Retries, unsafeFailed)
	}
}

// lbTier is a seeded PostgreSQL store served by app processes behind one
// `agora edge`. Each app keeps its address across restarts, so a new
// process takes the old one's place in the edge's static --backends.
type lbTier struct {
	cfg               lbConfig
	db, media, secret string
	apps              []*server
	addrs             []string // host:port of each app
	backends          []string // each app's URL in the edge's --backends
	edge              *server
	admin             string
}

type lbConfig struct {
	apps              int
	appArgs, edgeArgs []string // extra flags of every app, of the edge
	// front, if set, gives the URL the edge is to use for app i, given the
	// app's own (a fault-injecting proxy in front of it).
	front func(i int, appURL string) string
}

// startLBTier seeds a store, starts the apps and an edge in front, and
// waits until the edge's checks passed on every app.
func startLBTier(t *testing.T, cfg lbConfig) *lbTier {
	t.Helper()
	tier := &lbTier{cfg: cfg, db: storetest.URL(t, store.Postgres), media: t.TempDir(), secret: "e2e-balance-secret"}
	if code, out, errOut := run(t, "seed", "--db", tier.db, "--media", tier.media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	for i := range cfg.apps {
		a := tier.startApp(t, "127.0.0.1:0")
		tier.apps = append(tier.apps, a)
		tier.addrs = append(tier.addrs, strings.TrimPrefix(a.url, "http://"))
		u := a.url
		if cfg.front != nil {
			u = cfg.front(i, u)
		}
		tier.backends = append(tier.backends, u)
	}
	tier.edge, tier.admin = startEdge(t, append([]string{"--backends", strings.Join(tier.backends, ","), "--cluster-secret", tier.secret}, cfg.edgeArgs...)...)
	// The load starts on a pool that trusts every app.
	waitStatus(t, tier.admin, "every backend healthy", allHealthy)
	return tier
}

func (tier *lbTier) startApp(t *testing.T, listen string) *server {
	t.Helper()
	args := []string{"app", "--db", tier.db, "--media", tier.media, "--listen", listen, "--metrics-listen", "",
		"--cluster-secret", tier.secret, "--drain-delay", "0s", "--access-log=false"}
	args = append(args, tier.cfg.appArgs...) // a later --drain-delay wins
	return start(t, args...)
}

// restart starts app i again, on its old address.
func (tier *lbTier) restart(t *testing.T, i int) {
	t.Helper()
	tier.apps[i] = tier.startApp(t, tier.addrs[i])
}

// backend is app i's entry in the edge's status.
func (tier *lbTier) backend(t *testing.T, st edge.Status, i int) balance.BackendStatus {
	t.Helper()
	j := slices.IndexFunc(st.Pool.Backends, func(b balance.BackendStatus) bool { return b.URL == tier.backends[i] })
	if j < 0 {
		t.Fatalf("backend %s is not in the edge's status: %+v", tier.backends[i], st.Pool)
	}
	return st.Pool.Backends[j]
}

// signal sends sig to s's process.
func (s *server) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitStatus polls the edge's status until cond holds, and returns it.
func waitStatus(t *testing.T, admin, what string, cond func(edge.Status) bool) edge.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a failsafe: each turn checks the condition
	for {
		st := edgeStatus(t, admin)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			raw, _ := json.MarshalIndent(st.Pool, "", "  ")
			t.Fatalf("waited a minute for %s; the pool: %s", what, raw)
		}
		time.Sleep(10 * time.Millisecond) // a poll's pace, not a synchronisation
	}
}

func edgeStatus(t *testing.T, admin string) edge.Status {
	t.Helper()
	resp, err := http.Get(admin + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st edge.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// requests is how many requests the edge has sent to its backends.
func requests(st edge.Status) uint64 {
	var n uint64
	for _, b := range st.Pool.Backends {
		n += b.Requests
	}
	return n
}

func allHealthy(st edge.Status) bool {
	for _, b := range st.Pool.Backends {
		if b.State != balance.Healthy {
			return false
		}
	}
	return len(st.Pool.Backends) > 0
}

// loadRun is `agora loadtest` running in the background.
type loadRun struct {
	cmd            *exec.Cmd
	out            string
	stdout, stderr bytes.Buffer
}

// startLoad starts `agora loadtest` against target with the shopper mix.
func startLoad(t *testing.T, target string, rate int, d time.Duration, mix string) *loadRun {
	t.Helper()
	lt := &loadRun{out: filepath.Join(t.TempDir(), "run")}
	lt.cmd = exec.Command(binary, "loadtest", "--target", target, "--rate", strconv.Itoa(rate), "--duration", d.String(),
		"--seed", "5", "--mix", mix, "--out", lt.out)
	lt.cmd.Env = cleanEnv()
	lt.cmd.Stdout, lt.cmd.Stderr = &lt.stdout, &lt.stderr
	if err := lt.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if lt.cmd.ProcessState == nil {
			_ = lt.cmd.Process.Kill()
			_ = lt.cmd.Wait()
		}
	})
	return lt
}

// wait waits for the run's end and returns every request it recorded.
func (lt *loadRun) wait(t *testing.T) loadRecords {
	t.Helper()
	err := lt.cmd.Wait()
	t.Logf("loadtest (exit %v):\n%s%s", err, lt.stdout.String(), lt.stderr.String())
	raceReported(t, lt.stderr.String())
	var recs loadRecords
	defer func() {
		for _, r := range recs.failed() {
			t.Logf("failed: %+v", r)
		}
	}()
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	for _, r := range readCSV(t, filepath.Join(lt.out, loadtest.RequestsFile)) {
		status, _ := strconv.Atoi(r[col("status")])
		recs = append(recs, loadRecord{Kind: r[col("kind")], Method: r[col("method")], Path: r[col("path")], Status: status,
			Outcome: r[col("outcome")], Cause: r[col("cause")], Error: r[col("error")],
			Key: r[col("idempotency_key")], Order: r[col("order_number")]})
	}
	return recs
}

// stop interrupts the run (SIGINT: the load tool records what it sent and
// writes its files) and returns its records, less the requests the
// interruption itself cut.
func (lt *loadRun) stop(t *testing.T) loadRecords {
	t.Helper()
	if err := lt.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	return lt.wait(t).filter(func(r loadRecord) bool { return r.Cause != string(loadtest.Canceled) })
}

// failed are the records of failed requests.
func (rs loadRecords) failed() loadRecords {
	return rs.filter(func(r loadRecord) bool { return r.Outcome == string(loadtest.Failed) })
}

// loadRecord is one row of the load tool's requests.csv.
type loadRecord struct {
	Kind, Method, Path    string
	Status                int
	Outcome, Cause, Error string
	Key, Order            string // a checkout's idempotency key and order number
}

func (r loadRecord) isRead() bool { return r.Method == "GET" || r.Method == "HEAD" }

type loadRecords []loadRecord

func (rs loadRecords) filter(keep func(loadRecord) bool) loadRecords {
	var out loadRecords
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func (rs loadRecords) count(keep func(loadRecord) bool) int { return len(rs.filter(keep)) }

// checkOrders checks that every order the load tool saw placed is in the
// database under its key (none lost; the key is UNIQUE, so none twice),
// and returns how many there were.
func checkOrders(t *testing.T, dbURL string, recs loadRecords) int {
	t.Helper()
	reported := map[string]string{}
	for _, r := range recs {
		if r.Order != "" {
			reported[r.Key] = r.Order
		}
	}
	inDB := ordersInDB(t, dbURL)
	for k, n := range reported {
		if inDB[k] != n {
			t.Errorf("checkout %s reported as order %s, in the database %q", k, n, inDB[k])
		}
	}
	return len(reported)
}
