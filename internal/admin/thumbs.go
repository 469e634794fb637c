package admin

import (
	"context"

	"agora/internal/media"
)

// thumbs maps image keys to the URL of their thumbnail variant, as media
// recorded them (media.VariantsOf). Images stored without variants (a
// seeded or older catalog) are absent: thumbOf then falls back to the
// original, since serving a variant never computes one.
type thumbs map[string]string

func (h *Handler) thumbs(ctx context.Context, keys []string) (thumbs, error) {
	out := thumbs{}
	if len(keys) == 0 {
		return out, nil
	}
	variants, err := media.VariantsOf(ctx, h.DB, keys)
	if err != nil {
		return nil, err
	}
	for key, v := range variants {
		if v["thumbnail"] != "" {
			out[key] = h.mediaURL(v["thumbnail"])
		}
	}
	return out, nil
}

// thumbOf is the template func "thumb": t's thumbnail of key, else the
// original.
func (h *Handler) thumbOf(t thumbs, key string) string {
	if u, ok := t[key]; ok {
		return u
	}
	return h.mediaURL(key)
}
