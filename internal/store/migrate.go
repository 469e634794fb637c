package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one embedded SQL file, named NNNN_what.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the dialect's migrations in the order they apply.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", d, err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and '_'", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)`

// ErrSchemaBehind is returned by CheckSchema when migrations are pending.
var ErrSchemaBehind = errors.New("store: database schema is behind")

// Pending returns the migrations not yet applied.
func (db *DB) Pending(ctx context.Context) ([]Migration, error) {
	all, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	applied, err := db.appliedVersions(ctx, db.Read)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, m := range all {
		if !applied[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}

// CheckSchema fails with a message saying how to migrate when the database
// is behind the binary; `agora app` calls it before serving.
func (db *DB) CheckSchema(ctx context.Context) error {
	p, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %d migration(s) pending, the first %s; run `agora migrate --db %s` (or start with `agora up`, which migrates by itself)",
			ErrSchemaBehind, len(p), p[0].Name, db.Location)
	}
	return nil
}

func (db *DB) appliedVersions(ctx context.Context, q *sql.DB) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		if isMissingTable(err) {
			return map[int]bool{}, nil
		}
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		got[v] = true
	}
	return got, rows.Err()
}

func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}

// Migrate applies every pending migration, each in its own transaction that
// also records it, and returns the names applied. Several processes may
// migrate at once: on PostgreSQL an advisory lock serializes them, on SQLite
// the single IMMEDIATE writer does; each re-checks inside its transaction.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if _, err := db.Write.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	all, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range all {
		applied, err := db.applyOne(ctx, m)
		if err != nil {
			return done, err
		}
		if applied {
			done = append(done, m.Name)
		}
	}
	return done, nil
}

// migrationLock is an arbitrary advisory lock key shared by Agora processes.
const migrationLock = 0x61676f7261 // "agora"

func (db *DB) applyOne(ctx context.Context, m Migration) (applied bool, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
				return fmt.Errorf("store: migration lock: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("store: migration %s failed (nothing of it was applied): %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return fmt.Errorf("store: record migration %s: %w", m.Name, err)
		}
		applied = true
		return nil
	})
	return applied, err
}
