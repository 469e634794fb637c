package purge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"agora/internal/store"
)

// GoneAfter is how many of its heartbeat intervals an edge may stay
// silent before it counts as gone rather than lagging (issue 13): a
// stopped edge holds no cache that could serve a purged page, and one that
// comes back starts empty at the head, so waiting for it would only make
// every purge wait out a dead machine.
const GoneAfter = 3

// Edge is one edge that follows the log, as its last heartbeat left it.
type Edge struct {
	// Name is the edge's stable name (agora edge --edge-name).
	Name string
	// Applied is the last seq the edge applied (or started at, or reset to).
	Applied int64
	// StartedAt is when the edge process started: a new one means a
	// restart, with an empty cache.
	StartedAt time.Time
	// LastSeen is when its last heartbeat arrived, by the app's clock.
	LastSeen time.Time
	// Every is the edge's heartbeat interval.
	Every time.Duration
}

// Gone reports whether e has been silent for GoneAfter intervals at now.
func (e Edge) Gone(now time.Time) bool {
	return now.Sub(e.LastSeen) > GoneAfter*e.Every
}

// Heartbeat records e's report, e.LastSeen included; a new name registers
// the edge.
func Heartbeat(ctx context.Context, db *store.DB, e Edge) error {
	if e.Name == "" || e.Every <= 0 || e.Applied < 0 {
		return errors.New("purge: heartbeat: an edge needs a name, an interval and a seq")
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO purge_edges (name, applied_seq, started_at, last_seen, heartbeat_ms)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET applied_seq = excluded.applied_seq, started_at = excluded.started_at,
			last_seen = excluded.last_seen, heartbeat_ms = excluded.heartbeat_ms`,
		e.Name, e.Applied, e.StartedAt.UTC(), e.LastSeen.UTC(), e.Every.Milliseconds())
	if err != nil {
		return fmt.Errorf("purge: heartbeat: %w", err)
	}
	return nil
}

// Edges lists every edge that sent a heartbeat and was not forgotten
// (ForgetEdges), by name.
func Edges(ctx context.Context, db *store.DB) ([]Edge, error) {
	rows, err := db.Read.QueryContext(ctx, "SELECT name, applied_seq, started_at, last_seen, heartbeat_ms FROM purge_edges ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("purge: edges: %w", err)
	}
	defer rows.Close()
	var out []Edge
	for rows.Next() {
		var e Edge
		var ms int64
		if err := rows.Scan(&e.Name, &e.Applied, &e.StartedAt, &e.LastSeen, &ms); err != nil {
			return nil, fmt.Errorf("purge: edges: %w", err)
		}
		e.Every = time.Duration(ms) * time.Millisecond
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("purge: edges: %w", err)
	}
	return out, nil
}

// ForgetEdges deletes the edges last seen before before (gone long ago:
// a decommissioned machine should not be listed for ever) and says how
// many went.
func ForgetEdges(ctx context.Context, db *store.DB, before time.Time) (int64, error) {
	res, err := db.Write.ExecContext(ctx, "DELETE FROM purge_edges WHERE last_seen < $1", before.UTC())
	if err != nil {
		return 0, fmt.Errorf("purge: forget edges: %w", err)
	}
	return res.RowsAffected()
}
