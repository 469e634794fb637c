package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// thumbs maps image keys to the URL of their thumbnail variant, read from
// the media table (media.RecordTx). Images stored without variants (a
// seeded or older catalog) are absent: thumbOf then falls back to the
// original, since serving a variant never computes one.
type thumbs map[string]string

// maxThumbKeys bounds one lookup (a list page shows at most 100 products).
const maxThumbKeys = 200

func (h *Handler) thumbs(ctx context.Context, keys []string) (thumbs, error) {
	out := thumbs{}
	if len(keys) == 0 {
		return out, nil
	}
	keys = keys[:min(len(keys), maxThumbKeys)]
	ph := make([]string, len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = k
	}
	rows, err := h.DB.Query(ctx, `SELECT key, variants FROM media WHERE key IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("admin: thumbnails: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, js string
		if err := rows.Scan(&key, &js); err != nil {
			return nil, fmt.Errorf("admin: thumbnails: %w", err)
		}
		var variants map[string]string
		if json.Unmarshal([]byte(js), &variants) == nil && variants["thumbnail"] != "" {
			out[key] = h.mediaURL(variants["thumbnail"])
		}
	}
	return out, rows.Err()
}

// thumbOf is the template func "thumb": t's thumbnail of key, else the
// original.
func (h *Handler) thumbOf(t thumbs, key string) string {
	if u, ok := t[key]; ok {
		return u
	}
	return h.mediaURL(key)
}
