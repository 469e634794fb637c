// Package store opens Agora's data tier: an embedded SQLite file or a
// PostgreSQL server, behind one *DB whose SQL text is shared by both dialects
// (both drivers bind $1, $2… by position). It owns connection tuning,
// migrations and transactions; it knows nothing of catalog, carts or orders.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"agora/internal/redact"
)

// Dialect names the SQL engine behind a DB; code branches on it only where
// the engines truly differ (full-text search, some upserts).
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open data tier. Read and Write are the same pool on PostgreSQL; on
// SQLite, Write is a single connection (SQLite allows one writer at a time, and
// queueing in Go is cheaper than SQLITE_BUSY retries) and Read is a pool of
// read-only connections that WAL lets run beside the writer.
type DB struct {
	Dialect Dialect
	Read    *sql.DB
	Write   *sql.DB
	// Location is the database address with any password removed, for logs
	// and error messages.
	Location string

	stmts       stmtCache       // prepared read statements, by SQL text
	lost        connLoss        // when a connection to PostgreSQL was last found dead
	busyRetries atomic.Uint64   // BEGINs retried on SQLITE_BUSY (see beginWrite)
	pgConfig    *pgx.ConnConfig // PostgreSQL: how Listen opens its own connection
	replicas    *replicaSet     // nil unless Options.Replicas: reads under FromReplica may go there
}

// Options tune Open. The zero value is what `agora app` uses.
type Options struct {
	// CreateDir creates the parent directory of a SQLite file if missing
	// (migrate, seed and up own the data directory; app does not).
	CreateDir bool
	// MaxConns bounds the PostgreSQL pool and the SQLite read pool.
	// If zero, 16 is used.
	MaxConns int
	// BusyTimeout is how long a SQLite BEGIN waits for another process's
	// write lock before InTx retries it. If zero, SQLiteBusyTimeout; tests
	// set it short to see the retry without waiting.
	BusyTimeout time.Duration
	// Replicas are PostgreSQL streaming replicas (postgres:// addresses)
	// that reads marked with FromReplica may go to; writes, transactions
	// and unmarked reads stay on the primary. Open refuses them with a
	// SQLite primary. A replica that cannot be reached does not fail Open:
	// it stays out of rotation until it answers (see Replicas).
	Replicas []string
	// MaxReplicaLag is how far behind the primary a replica may be and
	// stay in rotation. If zero, DefaultMaxReplicaLag.
	MaxReplicaLag time.Duration
	// Log hears replicas enter and leave rotation, and why. If nil,
	// nothing is logged.
	Log *slog.Logger
}

// Open connects to the database named by rawURL: "sqlite:PATH", or
// PostgreSQL as "postgres://…" (also "postgresql://…") or a libpq key=value
// string ("host=… dbname=…"). The connection is checked before Open
// returns, so a wrong path or an unreachable server fails here with one
// clear message. No error repeats a password, whatever its form (see
// Redact); an address that cannot be parsed is never repeated at all.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = SQLiteBusyTimeout
	}
	if opts.MaxReplicaLag <= 0 {
		opts.MaxReplicaLag = DefaultMaxReplicaLag
	}
	if err := checkReplicas(rawURL, opts.Replicas); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"), opts)
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"), isKeyValue(rawURL):
		return openPostgres(ctx, rawURL, opts)
	case rawURL == "":
		return nil, errors.New("store: no database given: use --db sqlite:PATH or --db postgres://USER@HOST:PORT/DB")
	default:
		return nil, fmt.Errorf("store: unsupported database %q: use sqlite:PATH or postgres://USER@HOST:PORT/DB", Redact(rawURL))
	}
}

// Redact returns a database address fit for logs and error messages: any
// password replaced (user info, ?password=, ?sslpassword=, key=value), and
// "(unparsable address)" for one that does not parse.
func Redact(rawURL string) string { return redact.URL(rawURL) }

// isKeyValue reports whether raw is a libpq key=value connection string, the
// form psql and pg_dump take besides URLs: host=… port=… dbname=….
func isKeyValue(raw string) bool {
	k, _, ok := strings.Cut(strings.TrimSpace(raw), "=")
	return ok && k != "" && !strings.ContainsAny(k, ":/ \t")
}

// Close closes both pools, and the replicas' once their monitor has
// stopped.
func (db *DB) Close() error {
	err := db.replicas.close()
	db.stmts.close()
	err = errors.Join(err, db.Write.Close())
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	err := db.Read.PingContext(ctx)
	if connLost(err) {
		db.lost.saw() // the pooled connections are suspect too
	}
	return err
}

// InTx runs fn in one write transaction, committing if fn returns nil and
// rolling back otherwise. On SQLite the transaction begins IMMEDIATE, so it
// holds the write lock from the start and never fails midway on an upgrade;
// a BEGIN that finds the lock held by another process for longer than the
// busy timeout is retried (beginWrite), so fn runs once, when the lock is
// ours.
//
// BEGIN is also tried again when it fails on a lost connection (fn has not
// run yet). A failure in fn or at COMMIT is not: the outcome of a COMMIT
// the server never acknowledged is unknown, so it is reported as
// fault.Unavailable and left to the caller, whose retry must be idempotent
// (checkout's Idempotency-Key).
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var tx *sql.Tx
	err := db.retryRead(ctx, func() (err error) {
		tx, err = db.beginWrite(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	err = fn(tx)
	if hook := commitHook(ctx); err == nil && hook != nil {
		err = hook(ctx, tx)
	}
	if err != nil {
		_ = tx.Rollback()
		return db.unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", db.unavailable(err))
	}
	return nil
}

// unavailable is Unavailable, noting a lost connection for the pool.
func (db *DB) unavailable(err error) error {
	if connLost(err) {
		db.lost.saw()
	}
	return Unavailable(err)
}

// InReadTx runs fn in one read-only transaction on the read pool, so that
// every query in fn sees the same snapshot: a write committed meanwhile is
// seen by all of them or by none. Separate queries outside a transaction
// may each see a different state (a different connection, a later commit).
// On PostgreSQL the transaction is REPEATABLE READ, as READ COMMITTED takes
// a snapshot per statement; on SQLite (WAL) a transaction keeps the snapshot
// of its first read until it ends.
//
// When the transaction fails on a lost connection it runs once more from
// the start (see retryRead), so fn may run twice: it must set its results,
// not append to them.
func (db *DB) InReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.retryRead(ctx, func() error {
		tx, err := db.Read.BeginTx(ctx, opts)
		if err != nil {
			return fmt.Errorf("store: begin read: %w", err)
		}
		defer tx.Rollback() // read-only: nothing to commit
		return fn(tx)
	})
}

// AfterBulkLoad readies the database for reads after a bulk load (seed,
// import): it refreshes the planner's statistics, so the first searches
// use the right indexes instead of waiting for autovacuum (PostgreSQL) or
// never (SQLite), and on PostgreSQL it vacuums, which marks the new rows'
// pages all-visible. Until then every index-only scan (a listing's count
// and its page of ids) fetched each row it passed from the table as well:
// a page of the biggest category at 300,000 products took 3.9 ms, 0.24 ms
// after (issue 15). VACUUM takes no lock that stops reads or writes. SQLite
// has no visibility map, and its VACUUM would only rewrite the file.
func (db *DB) AfterBulkLoad(ctx context.Context) error {
	stmt := "ANALYZE"
	if db.Dialect == Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("store: %s: %w", strings.ToLower(stmt), err)
	}
	return nil
}
