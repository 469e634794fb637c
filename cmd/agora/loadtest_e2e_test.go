package main_test

import (
	"context"
	"encoding/csv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"agora/internal/loadtest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestLoadtestAgainstAnApp runs `agora loadtest` for 2 s at 20 requests/s
// against a real `agora app` on SQLite: every planned request is recorded,
// none fails, and the orders it reports are the orders in the database,
// each under the idempotency key it was sent with.
func TestLoadtestAgainstAnApp(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t, store.SQLite)
	media := t.TempDir()
	if code, out, errOut := run(t, "seed", "--db", dbURL, "--media", media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	s := start(t, "app", "--db", dbURL, "--media", media, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--access-log=false")
	out := filepath.Join(t.TempDir(), "run")
	// More checkouts than the default mix, so 40 requests hold several.
	code, stdout, stderr := run(t, "loadtest", "--target", s.url, "--rate", "20", "--duration", "2s", "--seed", "3",
		"--mix", "home=2,category=2,product=4,search=2,cart=6,checkout=4", "--out", out)
	if code != 0 || !strings.Contains(stdout, "failures: none") {
		t.Fatalf("loadtest: exit %d\n%s\n%s\napp:\n%s", code, stdout, stderr, s.log())
	}

	rows := readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	seqs := map[string]bool{}
	reported := map[string]string{} // idempotency key → order number
	for _, r := range rows {
		seqs[r[col("seq")]] = true
		if r[col("outcome")] == string(loadtest.Failed) {
			t.Errorf("failed request: %v", r)
		}
		if n := r[col("order_number")]; n != "" {
			reported[r[col("idempotency_key")]] = n
		}
	}
	if len(seqs) != 40 {
		t.Errorf("%d requests recorded, want 20/s × 2 s = 40", len(seqs))
	}
	if len(reported) == 0 {
		t.Fatalf("no order placed:\n%s", stdout)
	}

	inDB := ordersInDB(t, dbURL)
	if !maps.Equal(reported, inDB) {
		t.Errorf("orders reported by the load test %v, in the database %v", reported, inDB)
	}
	for _, f := range []string{loadtest.SummaryFile, loadtest.PlotFile} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	// Requests that fail make the exit code 1 and say why, in one line.
	code, _, stderr = run(t, "loadtest", "--target", s.url, "--rate", "20", "--duration", "200ms", "--timeout", "1ns")
	if code != 1 || !strings.Contains(stderr, "4 of 4 requests failed: timeout 4") {
		t.Errorf("loadtest with failures: exit %d\n%s", code, stderr)
	}
	// A mistake on the command line is exit 2.
	if code, _, stderr := run(t, "loadtest", "--target", s.url, "--mix", "basket=3"); code != 2 || !strings.Contains(stderr, `unknown kind "basket"`) {
		t.Errorf("loadtest --mix basket=3: exit %d\n%s", code, stderr)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return rows[1:]
}

// ordersInDB maps each order's idempotency key to its number. The key is
// UNIQUE in the schema, so a retried checkout cannot appear twice here.
func ordersInDB(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Read.Query("SELECT idempotency_key, number FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	orders := map[string]string{}
	for rs.Next() {
		var key, number string
		if err := rs.Scan(&key, &number); err != nil {
			t.Fatal(err)
		}
		orders[key] = number
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return orders
}
