package main_test

// Backups of the embedded store (issue 11): agora backup while the store
// serves and sells, agora restore into a fresh directory, and the restored
// store opens and serves.

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"agora/internal/store"
)

// TestBackupWhileSellingRestoreServes: a backup taken while checkouts are
// being written restores into a fresh data directory holding the same rows
// per table as the backup recorded, every media file byte for byte, no
// order that the store did not have; `agora app` on the restored directory
// serves a product page. Mistakes get one clear line: a target that is not
// empty, a source that is not there, a restore over a running store.
func TestBackupWhileSellingRestoreServes(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	media := filepath.Join(data, "media")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	restock(t, db)
	app := start(t, "app", "--db", db, "--media", media, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--access-log=false")

	// Orders are being placed through the app while the backup runs.
	lt := exec.Command(binary, "loadtest", "--target", app.url, "--rate", "30", "--duration", "6s", "--seed", "4",
		"--mix", "product=2,cart=5,checkout=5", "--checkout-retries", "0")
	lt.Env = cleanEnv()
	var ltOut bytes.Buffer
	lt.Stdout, lt.Stderr = &ltOut, &ltOut
	if err := lt.Start(); err != nil {
		t.Fatal(err)
	}
	before := countOrders(t, db)
	for countOrders(t, db) < before+5 {
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	backupDir := filepath.Join(t.TempDir(), "backup")
	code, out, errOut := run(t, "backup", "--data", data, backupDir)
	if code != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	during := countOrders(t, db)
	if err := lt.Wait(); err != nil {
		t.Errorf("the load during the backup failed (%v):\n%s", err, ltOut.String())
	}
	after := countOrders(t, db)
	if during >= after {
		t.Logf("note: no order was placed after the backup (%d then %d)", during, after)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := run(t, "restore", "--data", restored, backupDir); code != 0 || !strings.Contains(out, "agora up --data "+restored) {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	var m struct{ Rows map[string]int64 }
	raw, err := os.ReadFile(filepath.Join(backupDir, "agora-backup.json"))
	if err != nil || json.Unmarshal(raw, &m) != nil {
		t.Fatalf("backup record: %v %s", err, raw)
	}
	got := tableRows(t, filepath.Join(restored, "agora.db"))
	if !maps.Equal(got, m.Rows) {
		t.Errorf("rows per table restored %v, recorded in the backup %v", got, m.Rows)
	}
	if got["orders"] < before+5 || got["orders"] > after || got["products"] != 20 {
		t.Errorf("restored %d orders and %d products; the store had %d orders when the backup began and %d after, and 20 products",
			got["orders"], got["products"], before+5, after)
	}
	restoredOrders := ordersInDB(t, "sqlite:"+filepath.Join(restored, "agora.db"))
	live := ordersInDB(t, db)
	for k, n := range restoredOrders {
		if live[k] != n {
			t.Errorf("restored order %s (key %s) is not the store's (%q)", n, k, live[k])
		}
	}
	if src, dst := mediaFiles(t, media), mediaFiles(t, filepath.Join(restored, "media")); len(src) == 0 || !maps.Equal(src, dst) {
		t.Errorf("media: %d files in the store, %d restored, or their bytes differ", len(src), len(dst))
	}

	// The restored store serves: a product page, with its name.
	app2 := start(t, "app", "--db", "sqlite:"+filepath.Join(restored, "agora.db"), "--media", filepath.Join(restored, "media"),
		"--listen", "127.0.0.1:0", "--metrics-listen", "", "--access-log=false")
	_, home := get(t, app2.url+"/")
	prod := productLink.FindStringSubmatch(home)
	if prod == nil {
		t.Fatalf("the restored store's home page links no product:\n%.1000s", home)
	}
	if resp, page := get(t, app2.url+prod[1]); resp.StatusCode != 200 || !regexp.MustCompile(`<h1[^>]*>[^<]+</h1>`).MatchString(page) {
		t.Errorf("GET %s on the restored store: %d\n%.1000s", prod[1], resp.StatusCode, page)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"backup into a non-empty directory", []string{"backup", "--data", data, backupDir}, "exists and is not empty"},
		{"backup of no store", []string{"backup", "--data", filepath.Join(data, "nope"), filepath.Join(t.TempDir(), "b")}, "no store to back up at"},
		{"restore of no backup", []string{"restore", "--data", filepath.Join(t.TempDir(), "r"), filepath.Join(data, "nope")}, "no backup at"},
		{"restore over a store", []string{"restore", "--data", restored, backupDir}, "stop it first"},
		{"restore into a non-empty directory", []string{"restore", "--data", media, backupDir}, "exists and is not empty"},
	} {
		code, _, errOut := run(t, c.args...)
		lines := strings.Split(strings.TrimSpace(withoutArgvWarning(errOut)), "\n")
		if code != 1 || !strings.Contains(errOut, c.want) || len(lines) != 1 {
			t.Errorf("%s: exit %d, %q; want 1 and one line with %q", c.name, code, errOut, c.want)
		}
	}
}

func countOrders(t *testing.T, dbURL string) int64 {
	t.Helper()
	return tableRows(t, strings.TrimPrefix(dbURL, "sqlite:"))["orders"]
}

func tableRows(t *testing.T, path string) map[string]int64 {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+path, store.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.TableRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// mediaFiles maps every file under dir (relative name) to its bytes.
func mediaFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
