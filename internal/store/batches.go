package store

import (
	"context"
	"database/sql"
)

// DeleteBatches runs query, a DELETE whose $1 is before and $2 the batch
// size (`… WHERE key IN (SELECT key … WHERE expires_at <= $1 LIMIT $2)`),
// one transaction per batch until a batch removes fewer than batch rows,
// and returns how many rows went. Short transactions keep SQLite's one
// writer free for shoppers even when a bot left a million expired rows.
func (db *DB) DeleteBatches(ctx context.Context, query string, before any, batch int) (int64, error) {
	var total int64
	for {
		var n int64
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, query, before, batch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
