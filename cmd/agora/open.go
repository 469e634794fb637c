package main

import (
	"context"

	"agora/internal/media"
)

// defaultMediaDir is the embedded media directory of a single-machine store.
const defaultMediaDir = "./agora-data/media"

// openMedia opens media storage at rawURL, or the default directory when empty.
func openMedia(ctx context.Context, rawURL string, env *cmdEnv) (*media.Store, error) {
	if rawURL == "" {
		u, err := media.DirURL(defaultMediaDir)
		if err != nil {
			return nil, err
		}
		rawURL = u
	}
	return media.Open(ctx, rawURL)
}
