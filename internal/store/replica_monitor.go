package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"agora/internal/redact"
)

const (
	// replicaCheckEvery is how often the monitor samples the primary's WAL
	// position and each replica's replay position: a lagging replica leaves
	// rotation within MaxReplicaLag plus this.
	replicaCheckEvery = 250 * time.Millisecond
	// replicaCheckTimeout bounds one check, so a replica that hangs is out
	// of rotation within a second instead of holding the monitor.
	replicaCheckTimeout = time.Second
	// walHistoryKeep is how long primary samples are kept (at least; more
	// if MaxReplicaLag is longer): a replica further behind has a lag
	// known only to be over it.
	walHistoryKeep = 60 * time.Second
)

// monitor checks the replicas every replicaCheckEvery, the first time at
// once, until ctx ends. It owns the WAL history.
func (rs *replicaSet) monitor(ctx context.Context, primary *sql.DB) {
	defer close(rs.done)
	hist := walHistory{keep: max(walHistoryKeep, 2*rs.maxLag)}
	tick := time.NewTicker(replicaCheckEvery)
	defer tick.Stop()
	for {
		rs.check(ctx, primary, &hist)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check samples the primary, then every replica at the same time. If the
// primary does not answer, lags are measured against the samples so far:
// replicas keep serving reads while it is away.
func (rs *replicaSet) check(ctx context.Context, primary *sql.DB, hist *walHistory) {
	cctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	defer cancel()
	if lsn, err := queryLSN(cctx, primary, "SELECT pg_current_wal_lsn()::text"); err == nil {
		hist.add(time.Now(), lsn)
	}
	var wg sync.WaitGroup
	for _, r := range rs.list {
		wg.Go(func() {
			replay, err := queryLSN(cctx, r.pool, "SELECT pg_last_wal_replay_lsn()::text")
			if ctx.Err() != nil {
				return // closing: the check was cut short, not failed
			}
			rs.record(r, hist, replay, err)
		})
	}
	wg.Wait()
}

// record applies the result of r's check: its lag, and whether it is in
// rotation (the check succeeded and the lag is known and at most maxLag).
func (rs *replicaSet) record(r *replica, hist *walHistory, replay LSN, err error) {
	var lag time.Duration
	known := false
	if err == nil {
		r.replay.Store(uint64(replay))
		lag, known = hist.lag(time.Now(), replay)
	} else if connLost(err) {
		r.lost.saw()
	}
	r.mu.Lock()
	if err == nil {
		r.lag, r.err = lag, ""
	} else {
		r.err = redact.Err(err).Error()
	}
	r.mu.Unlock()

	switch {
	case err != nil:
		rs.rotate(r, false, "check failed", slog.String("error", redact.Err(err).Error()))
	case lag > rs.maxLag:
		rs.rotate(r, false, "lag over maximum", slog.Duration("lag", lag), slog.Duration("max_lag", rs.maxLag))
	case !known:
		rs.rotate(r, false, "lag not measured yet", slog.String("replay_lsn", replay.String()))
	default:
		rs.rotate(r, true, "caught up", slog.Duration("lag", lag))
	}
}

// walSample is the primary's WAL position at a moment.
type walSample struct {
	at  time.Time
	lsn LSN
}

// walHistory is the primary's recent WAL positions, oldest first, which
// turn a replica's replay position into a time: how long ago the primary
// was where the replica is now. Only the monitor uses it.
type walHistory struct {
	keep    time.Duration
	samples []walSample
}

// add records a sample, dropping those older than keep (but never the
// newest, so an idle primary is still known).
func (h *walHistory) add(at time.Time, lsn LSN) {
	h.samples = append(h.samples, walSample{at, lsn})
	drop := 0
	for drop < len(h.samples)-1 && at.Sub(h.samples[drop].at) > h.keep {
		drop++
	}
	h.samples = h.samples[drop:]
}

// lag is how far a replica at replay is behind: 0 if it has replayed the
// newest sample, else the age of the oldest sample past replay (the first
// position it has not reached: how long ago the primary was there). known
// is false when no sample says where the primary was before replay: lag is
// then only a lower bound (no samples yet, or replay older than them all).
func (h *walHistory) lag(now time.Time, replay LSN) (lag time.Duration, known bool) {
	n := len(h.samples)
	if n == 0 {
		return 0, false
	}
	if replay >= h.samples[n-1].lsn {
		return 0, true
	}
	for i, s := range h.samples {
		if s.lsn > replay {
			return now.Sub(s.at), i > 0
		}
	}
	return 0, true // unreachable: the newest sample is past replay
}
