// Package storetest gives tests a fresh, migrated database of each dialect:
// a SQLite file in a temporary directory and a PostgreSQL schema of its own
// on the server named by AGORA_TEST_POSTGRES (default: the local server the
// test command provisions). PostgreSQL is not optional: a test that needs it
// fails when it is unreachable, unless AGORA_TEST_SKIP_POSTGRES=1 says, for a
// quick local run, to skip it — never in CI (the rule of internal/testdep).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"agora/internal/redact"
	"agora/internal/store"
	"agora/internal/testdep"
)

// DefaultPostgres is the server the test command starts on a fresh machine.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Each runs fn as two subtests, "sqlite" and "postgres", each on a fresh
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated database of dialect d, removed when the
// test ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db := OpenEmpty(t, d)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// OpenEmpty returns a fresh database of dialect d with no schema at all.
func OpenEmpty(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	u := URL(t, d)
	db, err := store.Open(context.Background(), u, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns the address of a fresh, empty database of dialect d, cleaned
// up when the test ends; for tests that start processes of their own.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	switch d {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "agora.db")
	case store.Postgres:
		return postgresSchema(t)
	}
	t.Fatalf("storetest: unknown dialect %q", d)
	return ""
}

// postgresSchema creates a schema of its own for the test and returns a URL
// whose search_path points at it, so tests run in parallel on one server.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("AGORA_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(context.Background())
	}
	if err != nil {
		testdep.Missing(t, "AGORA_TEST_SKIP_POSTGRES", fmt.Errorf("PostgreSQL at %s is unreachable (%v)", store.Redact(base), err),
			"run ./scripts/test, which starts it and provisions a role, or set AGORA_TEST_POSTGRES")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("AGORA_TEST_POSTGRES=%s: %v", store.Redact(base), redact.Err(err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
