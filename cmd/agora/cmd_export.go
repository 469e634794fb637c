package main

import (
	"context"
	"flag"
	"fmt"

	"agora/internal/csvio"
	"agora/internal/store"
)

func exportCommand() *command {
	var db string
	return &command{
		name:    "export",
		summary: "write every product and variant as CSV to stdout (the format of import)",
		usage: `agora export [--db …] > products.csv

Writes the whole catalog (active, draft and archived products) to stdout as
CSV, one row per variant, in the format ` + "`agora import`" + ` reads, so a file
can be edited in a spreadsheet and imported into another store. It is
UTF-8 with a BOM, which Excel needs to show accents; cells that a
spreadsheet would run as formulas (starting with = + - @) are prefixed with
a quote, which import removes again. The catalog is read as one snapshot.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if len(env.args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q: export writes to stdout, as in `agora export > products.csv`", errUsage, env.args[0])
			}
			d, err := store.Open(ctx, db, store.Options{})
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.CheckSchema(ctx); err != nil {
				return err
			}
			return csvio.Export(ctx, d, env.stdout)
		},
	}
}
