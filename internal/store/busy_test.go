package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/store"
)

// holdWriteLock takes the write lock of the SQLite file at path on a
// connection of its own, as another `agora app` process (or an operator's
// sqlite3 shell) would, and returns the function that lets it go.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once atomic.Bool
	release = func() {
		if once.Swap(true) {
			return
		}
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		other.Close()
	}
	t.Cleanup(release)
	return release
}

func openSQLiteFile(t *testing.T, busy time.Duration) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agora.db")
	db, err := store.Open(context.Background(), "sqlite:"+path, store.Options{BusyTimeout: busy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// TestInTxWaitsOutAnotherProcessesLock: a write transaction whose BEGIN
// finds the database locked by another connection for longer than the busy
// timeout is begun again, runs once when the lock is free, and commits —
// the shopper's checkout does not fail because a neighbour held the lock.
func TestInTxWaitsOutAnotherProcessesLock(t *testing.T) {
	db, path := openSQLiteFile(t, time.Millisecond)
	release := holdWriteLock(t, path)

	var runs atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(context.Background(), func(tx *sql.Tx) error {
			runs.Add(1)
			_, err := tx.Exec(`INSERT INTO purge_log (tags, created_at) VALUES ('t', $1)`, time.Now().UTC())
			return err
		})
	}()
	for db.BusyRetries() < 2 { // the BEGIN failed at least twice: retried, not given up
		select {
		case err := <-done:
			t.Fatalf("InTx returned %v while the lock was held", err)
		case <-time.After(time.Millisecond): // a poll's pace, not a synchronisation
		}
	}
	if n := runs.Load(); n != 0 {
		t.Fatalf("fn ran %d times before the lock was free", n)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("InTx after the lock was released: %v", err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("fn ran %d times, want 1", n)
	}
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM purge_log WHERE tags = 't'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("rows written = %d, %v; want 1", n, err)
	}
}

// TestInTxGivesUpWithTheRequest: a request that ends (the shopper left, a
// deadline passed) while the lock is held stops waiting; its error says the
// database was busy, and fn never ran.
func TestInTxGivesUpWithTheRequest(t *testing.T) {
	db, path := openSQLiteFile(t, time.Millisecond)
	holdWriteLock(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var ran atomic.Bool
	go func() {
		done <- db.InTx(ctx, func(tx *sql.Tx) error { ran.Store(true); return nil })
	}()
	for db.BusyRetries() == 0 {
		time.Sleep(time.Millisecond) // a poll's pace, not a synchronisation
	}
	cancel()
	err := <-done
	if err == nil || ran.Load() {
		t.Fatalf("InTx = %v, fn ran: %v; want an error and no run", err, ran.Load())
	}
	// The cancellation lands in a pause between two BEGINs (the error then
	// names both) or in a BEGIN (database/sql reports the context's error).
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q: want the cancellation in it", err)
	}
}

func TestIsBusy(t *testing.T) {
	db, path := openSQLiteFile(t, time.Millisecond)
	holdWriteLock(t, path)
	_, busyErr := db.Write.Exec(`INSERT INTO purge_log (tags, created_at) VALUES ('t', $1)`, time.Now().UTC())
	_, otherErr := db.Read.Exec(`SELECT * FROM no_such_table`)
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"locked write", busyErr, true},
		{"wrapped", errors.Join(errors.New("store: begin"), busyErr), true},
		{"unknown table", otherErr, false},
		{"nil", nil, false},
		{"context", context.Canceled, false},
	} {
		if got := store.IsBusy(c.err); got != c.want {
			t.Errorf("%s: IsBusy(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
