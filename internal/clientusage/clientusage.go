// Package clientusage keeps the rate_usage table: how many requests each
// edge let each client make per route class, so that edges can hold one
// limit together (internal/edge/ratelimit, "Reconciling edges"). It lives
// in the database rather than an app instance's memory because edges
// report to whichever app instance the pool picks: only the shared store
// sees every report. It knows keys as strings; what they limit is the
// edge's business.
package clientusage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"agora/internal/edge/ratelimit"
	"agora/internal/store"
)

const (
	// Keep is how long a row outlives its last report; an edge that has
	// not used a client's bucket for that long owes the others nothing.
	Keep = time.Minute
	// MaxKeys bounds the keys one report writes and one answer holds.
	MaxKeys = 20_000
	// skew widens an answer's window backwards, for the clocks of app
	// instances that differ a little and for reports whose transaction
	// commits late (a busy SQLite writer): a key reported meanwhile may
	// come twice, which costs nothing (edges take the growth of totals),
	// while one missed would be under-counted on an edge meeting it.
	skew = 10 * time.Second
)

// Exchange records rep (one edge's counts) at now and returns the other
// edges' totals for the keys any of them reported since rep.Since (less
// the clock skew allowance), at most MaxKeys of them. Each total's D is
// the others' growth since then as far as the table knows it: all of N
// for a row begun since, else the row's last report's growth (an edge
// that meets a key for the first time takes D; see ratelimit.Usage).
func Exchange(ctx context.Context, db *store.DB, rep ratelimit.Report, now time.Time) (ratelimit.Totals, error) {
	ms := now.UnixMilli()
	if len(rep.Usage) > MaxKeys {
		rep.Usage = rep.Usage[:MaxKeys]
	}
	if len(rep.Usage) > 0 {
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			for _, u := range rep.Usage {
				if _, err := tx.ExecContext(ctx, `INSERT INTO rate_usage (edge, key, n, d, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)
					ON CONFLICT (key, edge) DO UPDATE SET n = excluded.n, d = excluded.d, updated_at = excluded.updated_at,
					created_at = CASE WHEN excluded.n < rate_usage.n THEN excluded.created_at ELSE rate_usage.created_at END`,
					rep.Edge, u.Key, int64(u.N), int64(u.D), ms); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return ratelimit.Totals{}, fmt.Errorf("clientusage: record report: %w", err)
		}
	}
	since := rep.Since - skew.Milliseconds()
	if rep.Since == 0 {
		since = ms - skew.Milliseconds() // a new edge: only what is happening now
	}
	rows, err := db.Query(ctx, `SELECT key, SUM(n), SUM(CASE WHEN created_at > $2 THEN n WHEN updated_at > $2 THEN d ELSE 0 END)
		FROM rate_usage WHERE edge <> $1 AND updated_at > $3
		AND key IN (SELECT key FROM rate_usage WHERE edge <> $1 AND updated_at > $2)
		GROUP BY key LIMIT $4`, rep.Edge, since, ms-Keep.Milliseconds(), MaxKeys)
	if err != nil {
		return ratelimit.Totals{}, fmt.Errorf("clientusage: read totals: %w", err)
	}
	defer rows.Close()
	tot := ratelimit.Totals{Now: ms}
	for rows.Next() {
		var u ratelimit.Usage
		var n, d int64
		if err := rows.Scan(&u.Key, &n, &d); err != nil {
			return ratelimit.Totals{}, fmt.Errorf("clientusage: read totals: %w", err)
		}
		u.N, u.D = uint64(n), uint64(d)
		tot.Usage = append(tot.Usage, u)
	}
	if err := rows.Err(); err != nil {
		return ratelimit.Totals{}, fmt.Errorf("clientusage: read totals: %w", err)
	}
	return tot, nil
}

// Trim deletes the rows no report has touched for Keep and says how many.
func Trim(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	n, err := db.DeleteBatches(ctx, `DELETE FROM rate_usage WHERE (key, edge) IN (SELECT key, edge FROM rate_usage WHERE updated_at < $1 LIMIT $2)`, now.Add(-Keep).UnixMilli(), 5000)
	if err != nil {
		return n, fmt.Errorf("clientusage: trim: %w", err)
	}
	return n, nil
}
