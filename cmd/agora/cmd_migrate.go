package main

import (
	"context"
	"flag"
	"fmt"

	"agora/internal/store"
)

// defaultDB is the embedded database of a single-machine store.
const defaultDB = "sqlite:./agora-data/agora.db"

func migrateCommand() *command {
	var db string
	return &command{
		name:    "migrate",
		summary: "apply database migrations and exit",
		usage: `Applies every pending schema migration to the database, each in its own
transaction, and exits. Safe to run from several processes at once and to
run again: applied migrations are recorded and skipped.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "database: sqlite:PATH (embedded) or postgres://USER:PASSWORD@HOST:PORT/DB")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			d, err := store.Open(ctx, db, store.Options{CreateDir: true})
			if err != nil {
				return err
			}
			defer d.Close()
			done, err := d.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(done) == 0 {
				fmt.Fprintf(env.stdout, "%s is up to date\n", d.Location)
			}
			for _, name := range done {
				fmt.Fprintf(env.stdout, "applied %s\n", name)
			}
			return nil
		},
	}
}
