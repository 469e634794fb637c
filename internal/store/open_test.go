package store_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestLocationHidesAQueryPassword: the address logged on every start
// (DB.Location) of a server reached with ?password=.
func TestLocationHidesAQueryPassword(t *testing.T) {
	u, err := url.Parse(storetest.URL(t, store.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	// The test role's password moves from the user info to the query; a
	// server that trusts local connections ignores the made-up one.
	pw, ok := u.User.Password()
	if !ok {
		pw = "hunter2"
	}
	u.User = url.User(u.User.Username())
	q := u.Query()
	q.Set("password", pw)
	u.RawQuery = q.Encode()
	db, err := store.Open(context.Background(), u.String(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if strings.Contains(db.Location, pw) || !strings.Contains(db.Location, "password=xxxxx") {
		t.Errorf("Location = %q", db.Location)
	}
}

// TestSQLitePathWithURLCharacters: a path holding '?', '#', '%' or '&' is a
// path, not the start of the driver's parameters.
func TestSQLitePathWithURLCharacters(t *testing.T) {
	for _, name := range []string{"shop?v=1", "shop#1", "100%", "a&b", "sp ace"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "agora.db")
			db, err := store.Open(context.Background(), "sqlite:"+path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not at %s: %v", path, err)
			}
			// The pragmas still apply (they travel in the same DSN).
			var fk int
			if err := db.Read.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
				t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
			}
		})
	}
}

// TestSQLiteBoundsTheWAL: journal_size_limit is set on every connection, so
// a WAL grown by a burst of writes is truncated back at the next checkpoint
// instead of keeping its largest size on disk for good.
func TestSQLiteBoundsTheWAL(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	for _, c := range []struct {
		name string
		q    func() (int64, error)
	}{
		{"write", func() (n int64, err error) { err = db.Write.QueryRow("PRAGMA journal_size_limit").Scan(&n); return }},
		{"read", func() (n int64, err error) { err = db.Read.QueryRow("PRAGMA journal_size_limit").Scan(&n); return }},
	} {
		n, err := c.q()
		if err != nil {
			t.Fatal(err)
		}
		if n != store.SQLiteJournalSizeLimit {
			t.Errorf("%s connection: journal_size_limit = %d, want %d", c.name, n, store.SQLiteJournalSizeLimit)
		}
	}

	// And it does what it is for. A long read (an export, a slow report)
	// keeps checkpoints from resetting the WAL, so writes meanwhile grow it
	// past the limit; once the read ends, the next reset truncates the file
	// to the limit instead of leaving it at its largest size.
	ctx := context.Background()
	if _, err := db.Write.ExecContext(ctx, "CREATE TABLE bulk (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	reader, err := db.Read.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow("SELECT count(*) FROM bulk").Scan(&n); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 1<<20)
	for range int(store.SQLiteJournalSizeLimit>>20) + 16 {
		if _, err := db.Write.ExecContext(ctx, "INSERT INTO bulk VALUES (?)", blob); err != nil {
			t.Fatal(err)
		}
	}
	wal := strings.TrimPrefix(db.Location, "sqlite:") + "-wal"
	if fi, err := os.Stat(wal); err != nil || fi.Size() <= store.SQLiteJournalSizeLimit {
		t.Fatalf("the WAL did not grow past the limit while a read was open (%v): the test proves nothing", err)
	}
	_ = reader.Rollback()
	if _, err := db.Write.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	// The next write after a complete checkpoint restarts the WAL from its
	// beginning, and that is when SQLite truncates it to the limit.
	if _, err := db.Write.ExecContext(ctx, "INSERT INTO bulk VALUES (x'00')"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > store.SQLiteJournalSizeLimit {
		t.Errorf("WAL is %d bytes after a checkpoint, want at most %d", fi.Size(), store.SQLiteJournalSizeLimit)
	}
}
