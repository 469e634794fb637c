package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// InChunk bounds the IN list of one query: far under SQLite's and
// PostgreSQL's limits on bound parameters, and large enough that 24,000
// keys take 48 queries.
const InChunk = 500

// InChunks runs query, whose "IN (%s)" gets the placeholders, over keys,
// InChunk at a time, calling scan for each row. It uses the read pool
// without the statement cache, which would otherwise keep one statement
// per list length.
func (db *DB) InChunks(ctx context.Context, query string, keys []string, scan func(*sql.Rows) error) error {
	for start := 0; start < len(keys); start += InChunk {
		part := keys[start:min(start+InChunk, len(keys))]
		marks := make([]string, len(part))
		args := make([]any, len(part))
		for i, k := range part {
			marks[i] = fmt.Sprintf("$%d", i+1)
			args[i] = k
		}
		if err := db.scanAll(ctx, fmt.Sprintf(query, strings.Join(marks, ", ")), args, scan); err != nil {
			return err
		}
	}
	return nil
}

// scanAll retries only the query (retryRead): scan may have effects, so
// once it has run, a lost connection is reported, not tried again.
func (db *DB) scanAll(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	var rows *sql.Rows
	err := db.retryRead(ctx, func() (err error) {
		rows, err = db.Read.QueryContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return db.unavailable(rows.Err())
}
