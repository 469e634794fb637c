package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "modernc.org/sqlite"

	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestUnavailableClassifies(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.OpError{Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name string
		err  error
		want bool // reported as fault.Unavailable
	}{
		{"admin shutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P02"}, true},
		{"starting up", fmt.Errorf("catalog: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"connection refused", fmt.Errorf("dial: %w", refused), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"bad password", &pgconn.PgError{Severity: "FATAL", Code: "28P01"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"client gave up", fmt.Errorf("q: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("q: %w", context.DeadlineExceeded), false},
		{"domain error", fault.New(fault.Conflict, "taken"), false},
	}
	for _, tc := range tests {
		got := store.Unavailable(tc.err)
		if isUnavailable := fault.CodeOf(got) == fault.Unavailable; isUnavailable != tc.want {
			t.Errorf("%s: Unavailable(%v) has code %s; want unavailable %v", tc.name, tc.err, fault.CodeOf(got), tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: the cause is lost: %v", tc.name, got)
		}
		if !tc.want && got != tc.err {
			t.Errorf("%s: an error of another class was changed: %v", tc.name, got)
		}
	}
	if store.Unavailable(nil) != nil {
		t.Error("Unavailable(nil) is not nil")
	}
}

// TestSQLiteBusyIsUnavailable: SQLite's lock held past busy_timeout (a
// migration, a seed in another process) is "try again shortly", not an
// internal error.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	ctx := context.Background()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"CREATE TABLE t (x INTEGER)", "BEGIN IMMEDIATE"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	if err == nil {
		t.Fatal("a second writer got the lock: the test set-up is wrong")
	}
	if got := store.Unavailable(err); fault.CodeOf(got) != fault.Unavailable {
		t.Errorf("SQLITE_BUSY (%v) is %s, want unavailable", err, fault.CodeOf(got))
	}
}

// openCluster opens a store on a private cluster, with a table of one row.
func openCluster(t *testing.T) (*storetest.Cluster, *store.DB) {
	t.Helper()
	c := storetest.NewCluster(t)
	db, err := store.Open(context.Background(), c.CreateDatabase(t, "shop"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{"CREATE TABLE t (k TEXT PRIMARY KEY, x INTEGER)", "INSERT INTO t VALUES ('a', 42)"} {
		if _, err := db.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return c, db
}

// terminateAll fills db's pool with n live connections and ends them from
// the server side as a restart does (SQLSTATE 57P01), so the pool holds n
// dead connections it has not noticed yet.
func terminateAll(t *testing.T, c *storetest.Cluster, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	// Twice: pgx pings a connection at its first reuse whatever its age,
	// and later only when idle for over a second; after two uses the
	// connections are ones it trusts without a ping, as in a busy shop.
	hold(t, db, n)
	hold(t, db, n)
	admin, err := sql.Open("pgx", c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	const others = `FROM pg_stat_activity WHERE datname = 'shop' AND pid <> pg_backend_pid()`
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) `+others); err != nil {
		t.Fatal(err)
	}
	for { // a poll: the backends exit on their own time after the signal
		var left int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) `+others).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hold takes n live connections from db's pool at once, then gives them
// back.
func hold(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	var conns []*sql.Conn
	for tries := 0; len(conns) < n; tries++ {
		conn, err := db.Read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.PingContext(ctx); err != nil {
			// One a previous round ended that no read has used since:
			// released with its error, the pool drops it.
			conn.Close()
			if tries > 2*n {
				t.Fatalf("no live connection: %v", err)
			}
			continue
		}
		conns = append(conns, conn)
	}
	for _, conn := range conns {
		conn.Close()
	}
}

// TestReadsSurviveTerminatedConnections: after the server ended every
// pooled connection (a restart, a failover), each kind of read still
// succeeds: it is tried once more on a live connection (issue 10).
func TestReadsSurviveTerminatedConnections(t *testing.T) {
	t.Parallel()
	c, db := openCluster(t)
	ctx := context.Background()
	reads := []struct {
		name string
		read func() (int, error)
	}{
		{"Query", func() (x int, err error) {
			rows, err := db.Query(ctx, "SELECT x FROM t WHERE k = $1", "a")
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			for rows.Next() {
				err = rows.Scan(&x)
			}
			return x, errors.Join(err, rows.Err())
		}},
		{"QueryRow", func() (x int, err error) {
			return x, db.QueryRow(ctx, "SELECT x FROM t WHERE k = $1", "a").Scan(&x)
		}},
		{"InReadTx", func() (x int, err error) {
			return x, db.InReadTx(ctx, func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, "SELECT x FROM t WHERE k = $1", "a").Scan(&x)
			})
		}},
		{"InChunks", func() (x int, err error) {
			return x, db.InChunks(ctx, "SELECT x FROM t WHERE k IN (%s)", []string{"a"}, func(rows *sql.Rows) error {
				return rows.Scan(&x)
			})
		}},
		{"InTx", func() (x int, err error) { // BEGIN is retried; fn has not run
			return x, db.InTx(ctx, func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, "UPDATE t SET x = x WHERE k = 'a' RETURNING x").Scan(&x)
			})
		}},
	}
	for _, r := range reads {
		terminateAll(t, c, db, 4)
		for i := range 8 { // more reads than dead connections
			if x, err := r.read(); err != nil || x != 42 {
				t.Errorf("%s #%d after the server ended the connections: %d, %v; want 42", r.name, i, x, err)
			}
		}
	}
}

// TestWriteWithUnknownOutcomeIsNotRetried: a transaction whose connection
// died after it began is not run again — its effects may or may not have
// committed — and the caller learns "unavailable", not "internal".
func TestWriteWithUnknownOutcomeIsNotRetried(t *testing.T) {
	t.Parallel()
	_, db := openCluster(t)
	ctx := context.Background()
	runs := 0
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		runs++
		if _, err := tx.ExecContext(ctx, "UPDATE t SET x = x + 1"); err != nil {
			return err
		}
		// The server ends this very session, as a restart would mid-transaction.
		_, err := tx.ExecContext(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
		return err
	})
	if runs != 1 {
		t.Errorf("the transaction ran %d times, want once", runs)
	}
	if fault.CodeOf(err) != fault.Unavailable {
		t.Errorf("InTx = %v (%s), want unavailable", err, fault.CodeOf(err))
	}
	var x int
	if err := db.QueryRow(ctx, "SELECT x FROM t").Scan(&x); err != nil || x != 42 {
		t.Errorf("after the failed transaction x = %d, %v; want 42 (rolled back)", x, err)
	}
}

// TestDatabaseDownIsUnavailable: while the server is down every kind of
// call fails as fault.Unavailable (503, not 500), and once it is back the
// same DB answers again, without being reopened.
func TestDatabaseDownIsUnavailable(t *testing.T) {
	t.Parallel()
	c, db := openCluster(t)
	ctx := context.Background()
	calls := map[string]func() error{
		"Query": func() error {
			rows, err := db.Query(ctx, "SELECT x FROM t")
			if err == nil {
				rows.Close()
			}
			return err
		},
		"QueryRow": func() error { return db.QueryRow(ctx, "SELECT x FROM t").Scan(new(int)) },
		"InReadTx": func() error {
			return db.InReadTx(ctx, func(tx *sql.Tx) error { return tx.QueryRowContext(ctx, "SELECT x FROM t").Scan(new(int)) })
		},
		"InTx": func() error {
			return db.InTx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "UPDATE t SET x = 42"); return err })
		},
	}
	c.Stop(t)
	for name, call := range calls {
		if err := call(); fault.CodeOf(err) != fault.Unavailable {
			t.Errorf("%s with the server down: %v (%s), want unavailable", name, err, fault.CodeOf(err))
		}
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping with the server down succeeded")
	}
	c.Start(t)
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s once the server is back: %v", name, err)
		}
	}
}
