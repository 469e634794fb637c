package main_test

// Load balancing end to end (issue 10): three `agora app` processes on one
// PostgreSQL schema behind `agora edge`, the load tool driving, one app
// killed mid-run.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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
func TestEdgeKillOneBackend(t *testing.T) {
	dbURL := storetest.URL(t, store.Postgres)
	media := t.TempDir()
	const secret = "e2e-balance-secret"
	if code, out, errOut := run(t, "seed", "--db", dbURL, "--media", media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	var apps []*server
	var backends []string
	for range 3 {
		a := start(t, "app", "--db", dbURL, "--media", media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
			"--cluster-secret", secret, "--drain-delay", "0s", "--access-log=false")
		apps = append(apps, a)
		backends = append(backends, a.url)
	}
	e, admin := startEdge(t, "--backends", strings.Join(backends, ","), "--cluster-secret", secret,
		"--health-interval", "2s", "--slow-start", "0s")

	// Every app passes its first checks before the load starts, so the
	// one killed is one the pool trusted.
	for !allHealthy(edgeStatus(t, admin)) {
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	out := filepath.Join(t.TempDir(), "run")
	lt := exec.Command(binary, "loadtest", "--target", e.url, "--rate", "30", "--duration", "6s", "--seed", "5",
		"--mix", "home=2,category=2,product=4,search=2,cart=4,checkout=3", "--out", out)
	var stdout, stderr bytes.Buffer
	lt.Stdout, lt.Stderr = &stdout, &stderr
	if err := lt.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill one app once the edge has sent it and the others 30 requests
	// (about a second of load): a count, not a sleep.
	for requests(t, admin) < 30 {
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	apps[0].kill(t)
	err := lt.Wait()
	t.Logf("loadtest (exit %v):\n%s%s", err, stdout.String(), stderr.String())

	rows := readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	reported := map[string]string{} // idempotency key → order number
	gets := 0
	for _, r := range rows {
		method := r[col("method")]
		if method == "GET" || method == "HEAD" {
			gets++
			if r[col("outcome")] == string(loadtest.Failed) {
				t.Errorf("failed %s: %v", method, r)
			}
		}
		if n := r[col("order_number")]; n != "" {
			reported[r[col("idempotency_key")]] = n
		}
	}
	if gets < 100 || len(reported) == 0 {
		t.Fatalf("%d GETs and %d orders recorded: the run did not happen as planned", gets, len(reported))
	}
	inDB := ordersInDB(t, dbURL)
	for k, n := range reported {
		if inDB[k] != n {
			t.Errorf("checkout %s reported as order %s, in the database %q", k, n, inDB[k])
		}
	}
	st := edgeStatus(t, admin)
	t.Logf("%d GETs, %d orders; edge: %d retries", gets, len(reported), st.Retries)
	killed := st.Pool.Backends[slices.IndexFunc(st.Pool.Backends, func(b balance.BackendStatus) bool { return b.URL == apps[0].url })]
	t.Logf("killed backend: %+v", killed)
	if killed.Failures == 0 {
		t.Error("the killed backend never failed a request: the test did not test failover")
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
func requests(t *testing.T, admin string) uint64 {
	var n uint64
	for _, b := range edgeStatus(t, admin).Pool.Backends {
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
