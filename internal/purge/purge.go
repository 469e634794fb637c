// Package purge writes and reads the purge log (DESIGN.md "Purge log"): the
// table of cache invalidations that every edge follows. Entries are appended
// in the transaction of the change that makes pages stale (a transactional
// outbox), so an invalidation is never lost when a process dies after
// commit. It knows tags as strings only; what to purge is the caller's call.
package purge

import (
	"context"
	"database/sql"
	"errors"
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

// NotifyChannel is the PostgreSQL channel an append notifies, in its own
// transaction, so the notification goes out at commit and only then
// (issue 13): every app process LISTENs on it and wakes the edges' waiting
// polls at once, rather than at its next look at the log. A notification
// says "look again", nothing more: the log stays the truth.
const NotifyChannel = "agora_purge"

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
	_, err := AppendSeq(ctx, tx, d, tags, soft, now)
	return err
}

// AppendSeq is Append for a caller that needs the new entry's seq: an
// operator's purge answers it, so the operator can watch edges reach it
// (DESIGN.md "Purge log": edges report the last seq they applied). Unlike
// Append it refuses an empty tag list, since there would be no seq to give.
func AppendSeq(ctx context.Context, tx *sql.Tx, d store.Dialect, tags []string, soft bool, now time.Time) (int64, error) {
	if len(tags) == 0 {
		return 0, errors.New("purge: append: no tags")
	}
	if d == store.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", appendLock); err != nil {
			return 0, fmt.Errorf("purge: lock: %w", err)
		}
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO purge_log (tags, soft, created_at) VALUES ($1, $2, $3) RETURNING seq",
		strings.Join(tags, " "), soft, now.UTC()).Scan(&seq); err != nil {
		return 0, fmt.Errorf("purge: append: %w", err)
	}
	if d == store.Postgres {
		// PostgreSQL folds equal notifications of one transaction into one.
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, '')", NotifyChannel); err != nil {
			return 0, fmt.Errorf("purge: notify: %w", err)
		}
	}
	return seq, nil
}

// AppendEntries appends one entry per tag list, in order, in one
// transaction of its own, and returns the seq of the last: an operator's
// purge too long for one entry (app's POST /_internal/purges). Every list
// must hold a tag.
func AppendEntries(ctx context.Context, db *store.DB, entries [][]string, soft bool, now time.Time) (int64, error) {
	if len(entries) == 0 {
		return 0, errors.New("purge: append: no entries")
	}
	var seq int64
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for _, tags := range entries {
			n, err := AppendSeq(ctx, tx, db.Dialect, tags, soft, now)
			if err != nil {
				return err
			}
			seq = n
		}
		return nil
	})
	return seq, err
}

// Trim deletes the entries created before before, except the newest keep
// (at least one stays, so the head's seq survives and seqs never restart);
// it returns how many went. An edge that has not read a trimmed entry
// sees a gap (Read's Oldest) and drops its cache.
func Trim(ctx context.Context, db *store.DB, before time.Time, keep int) (int64, error) {
	// With keep or fewer entries the subquery is NULL and nothing goes.
	res, err := db.Write.ExecContext(ctx, `DELETE FROM purge_log WHERE created_at < $1
		AND seq < (SELECT seq FROM purge_log ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
		before.UTC(), max(keep, 1)-1)
	if err != nil {
		return 0, fmt.Errorf("purge: trim: %w", err)
	}
	return res.RowsAffected()
}

// sinceQuery reads up to $2 entries after seq $1, in order.
const sinceQuery = "SELECT seq, tags, soft, created_at FROM purge_log WHERE seq > $1 ORDER BY seq LIMIT $2"

// Since returns up to limit entries after seq, in order.
func Since(ctx context.Context, db *store.DB, after int64, limit int) ([]Entry, error) {
	rows, err := db.Query(ctx, sinceQuery, after, limit)
	if err != nil {
		return nil, fmt.Errorf("purge: read: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("purge: read: %w", err)
	}
	return es, nil
}

// Window is one look at the log: its bounds and the entries after a seq.
type Window struct {
	Oldest, Head int64 // the first and last seq in the log; 0 when it is empty
	Entries      []Entry
}

// Read returns the bounds of the log and up to limit entries after seq
// (none if limit is 0), all from one snapshot. A follower decides from the
// bounds whether entries it has not seen were trimmed (a gap); read apart,
// an append and trim committed between the two reads looked like no gap
// and the entries after it, and the follower skipped the trimmed ones
// without knowing (issue 5).
func Read(ctx context.Context, db *store.DB, after int64, limit int) (Window, error) {
	var w Window
	err := db.InReadTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM purge_log").
			Scan(&w.Oldest, &w.Head)
		if err != nil || limit <= 0 {
			return err
		}
		rows, err := tx.QueryContext(ctx, sinceQuery, after, limit)
		if err != nil {
			return err
		}
		w.Entries, err = scanEntries(rows)
		return err
	})
	if err != nil {
		return Window{}, fmt.Errorf("purge: read: %w", err)
	}
	return w, nil
}

// scanEntries reads and closes rows of sinceQuery; the caller wraps its error.
func scanEntries(rows *sql.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var tags string
		if err := rows.Scan(&e.Seq, &tags, &e.Soft, &e.CreatedAt); err != nil {
			return nil, err
		}
		e.Tags = strings.Fields(tags)
		out = append(out, e)
	}
	return out, rows.Err()
}
