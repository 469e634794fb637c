package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"agora/internal/catalog"
	"agora/internal/seed"
	"agora/internal/store"
)

func seedCommand() *command {
	var db, mediaURL, profile string
	var products, categories int
	var seedN uint64
	var quiet bool
	return &command{
		name:    "seed",
		summary: "generate a realistic demo catalog (products, variants, categories, images)",
		usage: `Fills an empty database with a realistic, deterministic catalog: a category
tree, products with variants, prices, stock and descriptive text, and
procedurally drawn product images stored in media storage. The same --seed
gives the same catalog. Profiles follow Magento's performance toolkit:
small (800 products), medium (24,000), large (300,000). --products and
--categories override the profile. The database is migrated first.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			fs.StringVar(&mediaURL, "media", "", "media storage: file:///ABS/DIR, a directory path, or s3://BUCKET?endpoint=…&region=… (default ./agora-data/media)")
			fs.StringVar(&profile, "profile", "small", "catalog size: "+strings.Join(seed.ProfileNames(), ", "))
			fs.IntVar(&products, "products", 0, "number of products (overrides the profile)")
			fs.IntVar(&categories, "categories", 0, "number of categories (overrides the profile)")
			fs.Uint64Var(&seedN, "seed", 1, "random seed: the same seed gives the same catalog")
			fs.BoolVar(&quiet, "quiet", false, "no progress bars (they are shown only when stderr is a terminal anyway)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			opts, ok := seed.Profiles[profile]
			if !ok {
				return fmt.Errorf("%w: unknown --profile %q (use %s)", errUsage, profile, strings.Join(seed.ProfileNames(), ", "))
			}
			if products < 0 || categories < 0 {
				return fmt.Errorf("%w: --products and --categories must be positive", errUsage)
			}
			if products > 0 {
				opts.Products = products
			}
			if categories > 0 {
				opts.Categories = categories
			}
			opts.Seed = seedN
			if !quiet {
				opts.Progress = env.progress
			}
			d, err := store.Open(ctx, db, store.Options{CreateDir: true})
			if err != nil {
				return err
			}
			defer d.Close()
			if _, err := d.Migrate(ctx); err != nil {
				return err
			}
			m, err := openMedia(ctx, mediaURL, env)
			if err != nil {
				return err
			}
			defer m.Close()
			res, err := seed.Run(ctx, catalog.New(d), m, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "seeded %d categories, %d products, %d variants, %d images in %s\n",
				res.Categories, res.Products, res.Variants, res.Images, res.Duration.Round(1e7))
			return nil
		},
	}
}
