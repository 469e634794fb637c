package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
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

// MaxVariantKeys bounds one VariantsOf lookup.
const MaxVariantKeys = 200

// VariantsOf returns the recorded variants (name → key, as Upload.Variants)
// of each of keys that has a record; keys without one (a seeded or older
// catalog) are absent. Only the first MaxVariantKeys keys are looked up.
func VariantsOf(ctx context.Context, db *store.DB, keys []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	keys = keys[:min(len(keys), MaxVariantKeys)]
	ph := make([]string, len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = k
	}
	rows, err := db.Query(ctx, `SELECT key, variants FROM media WHERE key IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("media: variants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, js string
		if err := rows.Scan(&key, &js); err != nil {
			return nil, fmt.Errorf("media: variants: %w", err)
		}
		var variants map[string]string
		if json.Unmarshal([]byte(js), &variants) == nil {
			out[key] = variants
		}
	}
	return out, rows.Err()
}
