package store

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"

	"agora/internal/redact"
)

// replicaFor picks the replica a read under ctx goes to, or nil for the
// primary: ctx carries FromReplica, and a replica in rotation has replayed
// its minimum position. Replicas that fit take turns.
func (db *DB) replicaFor(ctx context.Context) *replica {
	rs := db.replicas
	if rs == nil {
		return nil
	}
	minLSN, ok := ctx.Value(fromReplicaKey{}).(LSN)
	if !ok {
		return nil
	}
	n := uint32(len(rs.list))
	start := rs.next.Add(1)
	for i := range n {
		r := rs.list[(start+i)%n]
		if r.inRotation.Load() && LSN(r.replay.Load()) >= minLSN {
			return r
		}
	}
	rs.primaryReads.Add(1)
	return nil
}

// served settles a read that ran on r: true if its outcome is the caller's
// (a result, or an error after the caller gave up); false if the primary
// must run it again. Any other error goes to the primary, whose answer is
// authoritative: it costs a wrong query a second run, and it covers what
// only a replica suffers (a conflict with recovery, SQLSTATE 40001; a
// migration not yet replayed). A replica that answered stays in rotation;
// one that did not (a lost or refused connection, a driver error) leaves
// it at once, so the next reads do not wait for the monitor to notice.
func (rs *replicaSet) served(ctx context.Context, r *replica, err error) bool {
	if err == nil {
		r.reads.Add(1)
		return true
	}
	if ctx.Err() != nil {
		return true
	}
	var pgErr *pgconn.PgError
	if lost := connLost(err); lost || !errors.As(err, &pgErr) {
		if lost {
			r.lost.saw()
		}
		rs.rotate(r, false, "read failed", slog.String("error", redact.Err(err).Error()))
	}
	rs.primaryReads.Add(1)
	return false
}

// rotate puts r in or out of rotation, logging a change with its reason.
func (rs *replicaSet) rotate(r *replica, in bool, reason string, attrs ...slog.Attr) {
	if r.inRotation.Swap(in) == in || rs.log == nil {
		return
	}
	attrs = append([]slog.Attr{slog.String("replica", r.loc), slog.String("reason", reason)}, attrs...)
	if in {
		rs.log.LogAttrs(context.Background(), slog.LevelInfo, "store: replica in rotation", attrs...)
	} else {
		rs.log.LogAttrs(context.Background(), slog.LevelWarn, "store: replica out of rotation", attrs...)
	}
}
