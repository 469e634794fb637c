// Package purge writes and reads the purge log (DESIGN.md "Purge log"): the
// table of cache invalidations that every edge follows. Entries are appended
// in the transaction of the change that makes pages stale (a transactional
// outbox), so an invalidation is never lost when a process dies after
// commit. It knows tags as strings only; what to purge is the caller's call.
package purge

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"agora/internal/store"
)

// appendLock serializes appends on PostgreSQL. Without it, two transactions
// could take seq 5 and 6 and commit 6 first; an edge reading "after 5"
// would then move past 5 before it is visible and miss it forever. Holding
// the lock until commit makes seq order commit order. SQLite has one writer,
// so its order is commit order already.
const appendLock = 0x7075726765 // "purge"

// Entry is one invalidation.
type Entry struct {
	Seq       int64
	Tags      []string
	Soft      bool // mark stale (serve once more while refreshing) rather than remove
	CreatedAt time.Time
}

// Append adds an entry with tags in tx. Empty tag lists add nothing.
func Append(ctx context.Context, tx *sql.Tx, d store.Dialect, tags []string, soft bool, now time.Time) error {
	if len(tags) == 0 {
		return nil
	}
	if d == store.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", appendLock); err != nil {
			return fmt.Errorf("purge: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO purge_log (tags, soft, created_at) VALUES ($1, $2, $3)",
		strings.Join(tags, " "), soft, now.UTC()); err != nil {
		return fmt.Errorf("purge: append: %w", err)
	}
	return nil
}

// Since returns up to limit entries after seq, in order.
func Since(ctx context.Context, db *store.DB, after int64, limit int) ([]Entry, error) {
	rows, err := db.Query(ctx, "SELECT seq, tags, soft, created_at FROM purge_log WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit)
	if err != nil {
		return nil, fmt.Errorf("purge: read: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var tags string
		if err := rows.Scan(&e.Seq, &tags, &e.Soft, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("purge: read: %w", err)
		}
		e.Tags = strings.Fields(tags)
		out = append(out, e)
	}
	return out, rows.Err()
}
