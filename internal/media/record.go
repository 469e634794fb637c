package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

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
