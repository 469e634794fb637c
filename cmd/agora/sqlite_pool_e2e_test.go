package main_test

// SQLite under a pool (issue 11): three `agora app` processes on one SQLite
// file behind `agora edge`, a checkout-heavy load through them.

import (
	"context"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/loadtest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestSQLitePoolCheckouts: writers in three processes meet at one SQLite
// file's write lock; no checkout or cart write fails because the database
// was busy, and the orders in the database are exactly those the load tool
// saw succeed. Checkouts are not retried by the load tool (and the edge
// retries only a 503, which an app answers before any work): a busy
// database would show as a failure here.
func TestSQLitePoolCheckouts(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t, store.SQLite)
	media := t.TempDir()
	const secret = "e2e-sqlite-pool-secret"
	if code, out, errOut := run(t, "seed", "--db", dbURL, "--media", media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	restock(t, dbURL) // every checkout should succeed: none refused for stock
	var backends []string
	for range 3 {
		a := start(t, "app", "--db", dbURL, "--media", media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
			"--cluster-secret", secret, "--drain-delay", "0s", "--access-log=false")
		backends = append(backends, a.url)
	}
	e, admin := startEdge(t, "--backends", strings.Join(backends, ","), "--cluster-secret", secret, "--slow-start", "0s")
	for !allHealthy(edgeStatus(t, admin)) {
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}

	out := filepath.Join(t.TempDir(), "run")
	lt := exec.Command(binary, "loadtest", "--target", e.url, "--rate", "40", "--duration", "5s", "--seed", "11",
		"--mix", "product=2,cart=5,checkout=5", "--checkout-retries", "0", "--out", out)
	lt.Env = cleanEnv()
	stdout, err := lt.CombinedOutput()
	t.Logf("loadtest (exit %v):\n%s", err, stdout)

	rows := readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	reported := map[string]string{} // idempotency key → order number
	writes := 0
	for _, r := range rows {
		if r[col("outcome")] == string(loadtest.Failed) {
			t.Errorf("failed %s %s: %v", r[col("method")], r[col("kind")], r)
		}
		if r[col("method")] == "POST" {
			writes++
		}
		if n := r[col("order_number")]; n != "" {
			reported[r[col("idempotency_key")]] = n
		}
	}
	if writes < 100 || len(reported) < 30 {
		t.Fatalf("%d writes and %d orders: the run did not happen as planned", writes, len(reported))
	}
	if inDB := ordersInDB(t, dbURL); !maps.Equal(reported, inDB) {
		t.Errorf("%d orders reported placed, %d in the database; reported %v, in the database %v", len(reported), len(inDB), reported, inDB)
	}
	t.Logf("%d writes (carts and checkouts) through 3 processes on one SQLite file; %d orders", writes, len(reported))
}

// restock gives every variant stock enough for any load test.
func restock(t *testing.T, dbURL string) {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`UPDATE variants SET stock = 1000000`); err != nil {
		t.Fatal(err)
	}
}
