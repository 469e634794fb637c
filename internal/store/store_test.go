package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestMigrateAppliesOnceAndRecords(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenEmpty(t, d)
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("empty database: CheckSchema = %v, want ErrSchemaBehind", err)
			}
			if err := db.CheckSchema(ctx); !strings.Contains(err.Error(), "agora migrate") {
				t.Errorf("message should say how to migrate: %v", err)
			}
			done, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			all, _ := store.Migrations(d)
			if len(done) != len(all) || len(all) == 0 {
				t.Fatalf("applied %v, want all %d", done, len(all))
			}
			again, err := db.Migrate(ctx)
			if err != nil || len(again) != 0 {
				t.Fatalf("second migrate applied %v (err %v), want nothing", again, err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after migrate: %v", err)
			}
		})
	}
}

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	s, _ := store.Migrations(store.SQLite)
	p, _ := store.Migrations(store.Postgres)
	if len(s) != len(p) {
		t.Fatalf("sqlite has %d migrations, postgres %d: every change needs both", len(s), len(p))
	}
	for i := range s {
		if s[i].Name != p[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, s[i].Name, p[i].Name)
		}
	}
}

// TestOpenErrorsSayWhatIsWrong: each failure is one line saying what is
// wrong, and whatever form a password takes (user info, a query parameter,
// a key=value connection string) and whether or not the address parses,
// no error repeats it.
func TestOpenErrorsSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("this is not sqlite ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, url, want string
	}{
		{"missing directory", "sqlite:" + filepath.Join(dir, "nope", "agora.db"), "does not exist"},
		{"corrupt file", "sqlite:" + corrupt, "not a valid SQLite database"},
		{"a directory", "sqlite:" + dir, "is a directory"},
		{"unreachable postgres", "postgres://agora:hunter2@127.0.0.1:1/agora?connect_timeout=2", "cannot reach PostgreSQL"},
		{"unknown scheme", "mysql://x", "unsupported database"},
		{"empty", "", "no database given"},
		{"password in the query", "postgres://u@127.0.0.1:1/x?password=hunter2&connect_timeout=2", "cannot reach PostgreSQL"},
		{"ssl key password", "postgres://u@127.0.0.1:1/x?sslpassword=hunter2&sslmode=bogus", "invalid PostgreSQL address"},
		{"key=value", "host=127.0.0.1 port=1 user=u password=hunter2 dbname=x connect_timeout=2", "cannot reach PostgreSQL"},
		{"key=value quoted", "host=127.0.0.1 port=1 password='hunter2' connect_timeout=2", "cannot reach PostgreSQL"},
		{"key=value broken", "host=127.0.0.1 password='hunter2", "invalid PostgreSQL address"},
		{"unparsable URL", "postgres://u:hunter2 @127.0.0.1:1/x", "invalid PostgreSQL address"},
		{"other scheme", "mysql://u:hunter2@127.0.0.1/x", "unsupported database"},
		{"other scheme, query", "mysql://127.0.0.1/x?password=hunter2", "unsupported database"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, err := store.Open(context.Background(), c.url, store.Options{})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want error containing %q", c.url, c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not contain %q", msg, c.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the password: %q", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}

// TestInReadTxIsOneSnapshot commits a write between two reads of one read
// transaction: neither read may see it, or callers that check one read
// against another (the purge log's bounds against its entries, issue 5)
// act on a state that never existed.
func TestInReadTxIsOneSnapshot(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenEmpty(t, d)
			if _, err := db.Write.ExecContext(ctx, "CREATE TABLE snap (n INTEGER NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			insert := func() {
				t.Helper()
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO snap (n) VALUES (1)")
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			insert()
			var first, second int
			err := db.InReadTx(ctx, func(tx *sql.Tx) error {
				if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM snap").Scan(&first); err != nil {
					return err
				}
				insert() // commits on the write pool meanwhile
				return tx.QueryRowContext(ctx, "SELECT count(*) FROM snap").Scan(&second)
			})
			if err != nil {
				t.Fatal(err)
			}
			if first != 1 || second != 1 {
				t.Errorf("reads in one read transaction counted %d then %d rows, want 1 and 1", first, second)
			}
			var after int
			if err := db.Read.QueryRowContext(ctx, "SELECT count(*) FROM snap").Scan(&after); err != nil || after != 2 {
				t.Errorf("after the transaction: %d rows (err %v), want 2", after, err)
			}
		})
	}
}
