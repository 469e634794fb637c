package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Several `agora app` processes may share one SQLite file (agora up runs a
// pool of them, issue 11). Inside a process the single writer connection
// queues write transactions in Go; across processes they meet at SQLite's
// write lock, which BEGIN IMMEDIATE takes and busy_timeout waits for. When
// that wait runs out (another process, an operator's sqlite3 shell or a long
// import held the lock for longer than SQLiteBusyTimeout), BEGIN fails with
// SQLITE_BUSY: nothing has been read or written yet, so beginning again is
// safe. Later failures are never retried here: a statement inside fn may
// have had effects outside the database, and a COMMIT that fails may or may
// not have committed. (In WAL mode COMMIT takes no further lock, so it does
// not fail with SQLITE_BUSY in the first place.)

// SQLiteBusyTimeout is how long one BEGIN waits for another process's write
// lock before reporting SQLITE_BUSY (the busy_timeout pragma): long enough
// for any ordinary transaction; a longer hold is retried by beginWrite.
const SQLiteBusyTimeout = 10 * time.Second

// MaxBusyWait bounds the time beginWrite keeps retrying a busy BEGIN, on top
// of the request's own deadline: past it the write fails and the shopper
// sees 503 (try again) rather than a request that never ends.
const MaxBusyWait = 30 * time.Second

// IsBusy reports whether err is SQLite's "database is locked" in any of its
// forms (SQLITE_BUSY, SQLITE_LOCKED and their extended codes, such as
// SQLITE_BUSY_RECOVERY while another process recovers a crashed writer's
// WAL). It is false for PostgreSQL errors.
func IsBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code under the extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// beginWrite begins a write transaction, retrying a BEGIN that found the
// database busy, with jittered exponential backoff (so processes that failed
// together do not retry together), until it succeeds, ctx ends or
// MaxBusyWait has passed.
func (db *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	start := time.Now()
	pause := 5 * time.Millisecond
	for {
		tx, err := db.Write.BeginTx(ctx, nil)
		if err == nil || !IsBusy(err) || time.Since(start) >= MaxBusyWait {
			return tx, err
		}
		db.busyRetries.Add(1)
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (then: %w)", err, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// BusyRetries is how many times a write transaction's BEGIN found the
// database locked by another process and was retried since Open; /metrics
// exports it. Always 0 on PostgreSQL.
func (db *DB) BusyRetries() uint64 { return db.busyRetries.Load() }
