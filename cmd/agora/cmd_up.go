package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"

	"agora/internal/catalog"
	"agora/internal/media"
	"agora/internal/seed"
	"agora/internal/store"
)

func upCommand() *command {
	var sf serveFlags
	var dataDir, db, mediaURL string
	var demo bool
	return &command{
		name:    "up",
		summary: "run the whole store on this machine (the place to start)",
		usage: `Runs the whole store on this machine with embedded defaults: a SQLite
database and a media directory under --data, migrated automatically.
--demo seeds a small demo catalog (800 products) the first time.
Then open http://localhost:8080.

For now this runs one app-tier server; the edge cache and the autoscaled
app pool join it in later releases, behind the same command.`,
		setup: func(fs *flag.FlagSet) {
			sf.declare(fs, ":8080", "127.0.0.1:8081", "admin-listen")
			fs.StringVar(&dataDir, "data", "./agora-data", "directory for the embedded database and media")
			fs.StringVar(&db, "db", "", "database instead of the embedded one: postgres://USER:PASSWORD@HOST:PORT/DB (default sqlite:DATA/agora.db)")
			fs.StringVar(&mediaURL, "media", "", "media storage instead of DATA/media: file:///ABS/DIR or s3://BUCKET?…")
			fs.BoolVar(&demo, "demo", false, "seed a demo catalog (the small profile) when the store is empty")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return err
			}
			if db == "" {
				db = "sqlite:" + filepath.Join(dataDir, "agora.db")
			}
			if mediaURL == "" {
				u, err := media.DirURL(filepath.Join(dataDir, "media"))
				if err != nil {
					return err
				}
				mediaURL = u
			}
			d, err := store.Open(ctx, db, store.Options{CreateDir: true})
			if err != nil {
				return err
			}
			defer d.Close()
			applied, err := d.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(applied) > 0 {
				env.log.Info("migrated", "applied", applied)
			}
			m, err := media.Open(ctx, mediaURL)
			if err != nil {
				return err
			}
			defer m.Close()
			if demo {
				if err := seedDemo(ctx, env, d, m); err != nil {
					return err
				}
			}
			return serve(ctx, env, sf, d, m)
		},
	}
}

// seedDemo seeds the small profile into an empty store; a store with
// products is left alone, so --demo is safe on every start.
func seedDemo(ctx context.Context, env *cmdEnv, d *store.DB, m *media.Store) error {
	cat := catalog.New(d)
	n, err := cat.CountProducts(ctx)
	if err != nil || n > 0 {
		return err
	}
	opts := seed.Profiles["small"]
	opts.Seed = 1
	opts.Progress = env.progress
	env.log.Info("seeding the demo catalog", "products", opts.Products)
	res, err := seed.Run(ctx, cat, m, opts)
	if err != nil {
		return err
	}
	env.log.Info("seeded", "products", res.Products, "categories", res.Categories, "images", res.Images, "took", res.Duration.Round(1e7))
	return nil
}
