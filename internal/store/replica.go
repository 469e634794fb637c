package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxReplicaLag is Options.MaxReplicaLag when zero: a product page
// two seconds old is fine; a shopper's own order is read with a minimum
// position instead (FromReplica), whatever the lag.
const DefaultMaxReplicaLag = 2 * time.Second

// replicaSet is the DB's replicas and what routing needs of them. Set once
// by Open and never changed, so the read path without replicas costs one
// nil check.
type replicaSet struct {
	list         []*replica
	maxLag       time.Duration
	log          *slog.Logger  // nil: no logging
	next         atomic.Uint32 // round robin among the replicas that fit
	primaryReads atomic.Uint64 // reads under FromReplica the primary served
	stop         context.CancelFunc
	done         chan struct{} // closed when the monitor has returned
}

// replica is one streaming replica: its pool, and its state as the monitor
// last measured it. The hot fields, read on every routed query, are atomic.
type replica struct {
	loc   string // address without password
	pool  *sql.DB
	stmts stmtCache
	lost  connLoss

	inRotation atomic.Bool
	replay     atomic.Uint64 // LSN replayed at the last successful check
	reads      atomic.Uint64 // reads served

	mu  sync.Mutex    // protects lag and err
	lag time.Duration // as last measured
	err string        // the last check's error; "" if it succeeded
}

// ReplicaStatus describes a replica, for status pages and tests.
type ReplicaStatus struct {
	Location   string        // the address without its password, as DB.Location
	InRotation bool          // reads under FromReplica may go to it
	Lag        time.Duration // how far behind the primary, as last measured
	ReplayLSN  LSN           // WAL replayed, as last measured
	Reads      uint64        // reads it served
	Err        string        // the last check's error, "" if none
}

type fromReplicaKey struct{}

// FromReplica returns ctx marked so that reads under it (Query, QueryRow)
// may be served by a replica in rotation that has replayed at least minLSN
// (0: any replica in rotation); when none fits, the primary serves them.
// A caller that must see its own write passes the CurrentLSN taken after
// it. Transactions (InTx, InReadTx) ignore the mark.
func FromReplica(ctx context.Context, minLSN LSN) context.Context {
	return context.WithValue(ctx, fromReplicaKey{}, minLSN)
}

// checkReplicas refuses replicas that cannot work, before anything is
// opened: a SQLite primary, or an address that is not a postgres:// URL.
func checkReplicas(primary string, replicas []string) error {
	if len(replicas) == 0 {
		return nil
	}
	if strings.HasPrefix(primary, "sqlite:") {
		return errors.New("store: --db-replica needs a PostgreSQL primary; a SQLite database has no replicas")
	}
	for _, u := range replicas {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return fmt.Errorf("store: --db-replica %s: a replica is a postgres://USER@HOST:PORT/DB address", Redact(u))
		}
	}
	return nil
}

// openReplicas opens a pool per replica and starts the monitor that puts
// them in rotation; Close stops it.
func (db *DB) openReplicas(opts Options) error {
	rs := &replicaSet{maxLag: opts.MaxReplicaLag, log: opts.Log, done: make(chan struct{})}
	for _, u := range opts.Replicas {
		r := &replica{loc: Redact(u)}
		pool, _, err := newPGPool(u, opts, &r.lost)
		if err != nil {
			for _, r := range rs.list {
				r.pool.Close()
			}
			return fmt.Errorf("store: --db-replica: %w", err)
		}
		r.pool = pool
		rs.list = append(rs.list, r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs.stop = cancel
	db.replicas = rs
	go rs.monitor(ctx, db.Write)
	return nil
}

// close stops the monitor, waits for it, and closes the replicas' pools.
// A nil set closes nothing.
func (rs *replicaSet) close() error {
	if rs == nil {
		return nil
	}
	rs.stop()
	<-rs.done
	var err error
	for _, r := range rs.list {
		r.stmts.close()
		err = errors.Join(err, r.pool.Close())
	}
	return err
}

// Replicas describes each replica, in the order of Options.Replicas; nil
// when there are none.
func (db *DB) Replicas() []ReplicaStatus {
	if db.replicas == nil {
		return nil
	}
	out := make([]ReplicaStatus, len(db.replicas.list))
	for i, r := range db.replicas.list {
		r.mu.Lock()
		out[i] = ReplicaStatus{Location: r.loc, Lag: r.lag, Err: r.err}
		r.mu.Unlock()
		out[i].InRotation = r.inRotation.Load()
		out[i].ReplayLSN = LSN(r.replay.Load())
		out[i].Reads = r.reads.Load()
	}
	return out
}

// PrimaryReads counts the reads under FromReplica that the primary served
// because no replica fitted, or because the one chosen failed.
func (db *DB) PrimaryReads() uint64 {
	if db.replicas == nil {
		return 0
	}
	return db.replicas.primaryReads.Load()
}

// CurrentLSN is the primary's current WAL position (pg_current_wal_lsn):
// taken after a commit, a replica that has replayed it sees the commit.
// On SQLite it is 0.
func (db *DB) CurrentLSN(ctx context.Context) (LSN, error) {
	if db.Dialect != Postgres {
		return 0, nil
	}
	lsn, err := queryLSN(ctx, db.Write, "SELECT pg_current_wal_lsn()::text")
	if err != nil {
		return 0, fmt.Errorf("store: current WAL position: %w", db.unavailable(err))
	}
	return lsn, nil
}

// errNotStandby is a replica's check on a server that is not replaying
// WAL: a primary given as a replica, or a promoted one.
var errNotStandby = errors.New("not a standby: pg_last_wal_replay_lsn() is null")

// queryLSN runs a query of one pg_lsn, as text: pgx has no type for it.
func queryLSN(ctx context.Context, pool *sql.DB, query string) (LSN, error) {
	var s sql.NullString
	if err := pool.QueryRowContext(ctx, query).Scan(&s); err != nil {
		return 0, err
	}
	if !s.Valid {
		return 0, errNotStandby
	}
	return ParseLSN(s.String)
}
