package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agora/internal/store"
)

// The media table records what was uploaded: this package owns it, and
// handlers reach it only through the functions here.

// Record registers u in the media table, in a transaction of its own.
func Record(ctx context.Context, db *store.DB, u Upload, now time.Time) error {
	return db.InTx(ctx, func(tx *sql.Tx) error { return RecordTx(ctx, tx, u, now) })
}

// RecordTx registers u in the media table inside tx, so the admin can list
// uploads and a product image can be checked against what was stored.
// Recording the same key again keeps the first row: an upload is idempotent,
// and so is its record. now is stored in UTC.
func RecordTx(ctx context.Context, tx *sql.Tx, u Upload, now time.Time) error {
	if !ValidKey(u.Key) || u.Key[64] != '.' {
		return fmt.Errorf("media: record: %q is not the key of an original", u.Key)
	}
	variants := u.Variants
	if variants == nil {
		variants = map[string]string{}
	}
	js, err := json.Marshal(variants)
	if err != nil {
		return fmt.Errorf("media: record %s: %w", u.Key, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO media (key, content_type, width, height, bytes, variants, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING`,
		u.Key, u.ContentType, u.Width, u.Height, u.Bytes, string(js), now.UTC())
	if err != nil {
		return fmt.Errorf("media: record %s: %w", u.Key, err)
	}
	return nil
}

// Size is an original's recorded pixel size.
type Size struct{ Width, Height int }

// SizeTx returns the recorded size of the original key, read inside tx (a
// catalog change checks its images in its own transaction); ok is false
// when nothing was uploaded under key.
func SizeTx(ctx context.Context, tx *sql.Tx, key string) (sz Size, ok bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT width, height FROM media WHERE key = $1`, key).Scan(&sz.Width, &sz.Height)
	if errors.Is(err, sql.ErrNoRows) {
		return Size{}, false, nil
	}
	if err != nil {
		return Size{}, false, fmt.Errorf("media: size of %s: %w", key, err)
	}
	return sz, true, nil
}

// Sizes returns the recorded size of each of keys that has a record (a
// CSV import's images); keys without one are absent.
func Sizes(ctx context.Context, db *store.DB, keys []string) (map[string]Size, error) {
	out := map[string]Size{}
	err := db.InChunks(ctx, `SELECT key, width, height FROM media WHERE key IN (%s)`, keys, func(rows *sql.Rows) error {
		var key string
		var sz Size
		if err := rows.Scan(&key, &sz.Width, &sz.Height); err != nil {
			return err
		}
		out[key] = sz
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("media: sizes: %w", err)
	}
	return out, nil
}

// VariantsOf returns the recorded variants (name → key, as Upload.Variants)
// of each of keys that has a record; keys without one (a seeded or older
// catalog) are absent.
func VariantsOf(ctx context.Context, db *store.DB, keys []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	err := db.InChunks(ctx, `SELECT key, variants FROM media WHERE key IN (%s)`, keys, func(rows *sql.Rows) error {
		var key, js string
		if err := rows.Scan(&key, &js); err != nil {
			return err
		}
		var variants map[string]string
		if json.Unmarshal([]byte(js), &variants) == nil {
			out[key] = variants
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("media: variants: %w", err)
	}
	return out, nil
}
