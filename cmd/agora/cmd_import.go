package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"agora/internal/csvio"
	"agora/internal/fault"
	"agora/internal/store"
)

// maxPrintedProblems bounds the per-row report on the terminal; the count
// of the rest follows it.
const maxPrintedProblems = 50

func importCommand() *command {
	var db string
	var dryRun, skipInvalid, quiet, updateOnly, archiveMissing bool
	var fs *flag.FlagSet
	return &command{
		name:    "import",
		summary: "create and update products and variants from a CSV file (dry run with a diff, per-row report)",
		usage: `agora import FILE.csv [--dry-run] [--update-only] [--archive-missing] [--skip-invalid] [--db …]

Creates and updates the products of a CSV file, one row per variant, with the columns
` + "`agora export`" + ` writes (the header row names them, in any order):

  handle,name,description,brand,status,featured,categories,sku,variant_name,
  option1_name,option1_value,option2_name,option2_value,price,currency,stock,images

handle, name, sku and price are required. Rows of one product share its
handle; its other columns are on its first row, blank or repeated on the
next. categories are paths of existing categories ("Clothing > Men >
Shirts"), several separated by "|"; images are media keys separated by "|";
prices use a dot ("12.50"). The file is UTF-8 (Excel: "CSV UTF-8").

A row whose handle a product has updates that product, and a SKU it has
updates that variant: the file's columns are the truth for what they hold
(leave a column out of the header to leave it alone; a blank stock, status
or variant name cell leaves that value alone too); a new SKU adds a
variant; variants the file leaves out stay. Images are not changed by an
update. Stock is set as of the import's start: units sold while it runs are
taken off the file's level. --update-only refuses rows of new handles;
--archive-missing archives the products the file does not name (a
whole-catalog file). --dry-run prints every change (+ new, ~ field old →
new, - archived) and writes nothing: export, edit, dry-run, import.

Every row is checked before anything is written, and problems are listed by
row and column. Without --skip-invalid one bad row refuses the whole file
and nothing is imported; with it the valid products are imported and the
others listed. New products are created in one transaction; updates are
written in batches of 200 products, so checkouts go on meanwhile, each
batch one purge of exactly the pages it changed. If an import stops half
way (the database went away), run the same file again: what was applied
shows no difference. Exit status 1 when any row was refused.`,
		setup: func(f *flag.FlagSet) {
			fs = f
			f.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			f.BoolVar(&dryRun, "dry-run", false, "check the file against the database and write nothing")
			f.BoolVar(&skipInvalid, "skip-invalid", false, "import the valid products and list the rows skipped, instead of refusing the file")
			f.BoolVar(&updateOnly, "update-only", false, "refuse rows whose handle no product has: change the catalog, create nothing")
			f.BoolVar(&archiveMissing, "archive-missing", false, "archive the products the file does not name (the file is the whole catalog)")
			f.BoolVar(&quiet, "quiet", false, "no progress bar (shown only when stderr is a terminal anyway)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			path, err := importArgs(fs, env)
			if err != nil || path == "" {
				return err
			}
			file, err := os.Open(path)
			if err != nil {
				return err
			}
			defer file.Close()
			d, err := store.Open(ctx, db, store.Options{})
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.CheckSchema(ctx); err != nil {
				return err
			}
			opts := csvio.Options{DryRun: dryRun, SkipInvalid: skipInvalid, UpdateOnly: updateOnly, ArchiveMissing: archiveMissing}
			var bar *importBar
			if env.progress != nil && !quiet && !dryRun {
				bar = &importBar{w: env.progress, oneTx: !skipInvalid}
				defer bar.stop()
				opts.Progress = bar.update
			}
			start := time.Now()
			rep, err := csvio.Import(ctx, d, file, opts)
			bar.stop()
			printProblems(env.stderr, rep.Errors)
			if err != nil {
				return userError(err)
			}
			took := time.Since(start).Round(10 * time.Millisecond)
			switch {
			case dryRun:
				for _, c := range rep.Changes {
					fmt.Fprintln(env.stdout, c.String())
				}
				fmt.Fprintf(env.stdout, "dry run of %s: would create %s (%s), update %d, archive %d, leave %d as they are; nothing was written\n",
					path, plural(rep.Products, "product"), plural(rep.Variants, "variant"), rep.Updated, rep.Archived, rep.Unchanged)
			default:
				fmt.Fprintf(env.stdout, "imported %s in %s: created %s (%s), updated %d, archived %d, %d unchanged\n",
					path, took, plural(rep.Products, "product"), plural(rep.Variants, "variant"), rep.Updated, rep.Archived, rep.Unchanged)
			}
			if rep.Skipped > 0 {
				return fmt.Errorf("%d of %d rows were skipped (listed above)", rep.Skipped, rep.Rows)
			}
			return nil
		},
	}
}

// importArgs takes the file name and the flags written after it, as in
// `agora import products.csv --dry-run` (package flag stops at the first
// argument that is not a flag). An empty path with a nil error means --help
// was answered.
func importArgs(fs *flag.FlagSet, env *cmdEnv) (string, error) {
	if len(env.args) == 0 {
		return "", fmt.Errorf("%w: give the CSV file to import, as in `agora import products.csv`", errUsage)
	}
	path := env.args[0]
	if err := fs.Parse(env.args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.stdout)
			fs.Usage()
			return "", nil
		}
		return "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: one file at a time (got %q too)", errUsage, fs.Arg(0))
	}
	return path, nil
}

// plural writes "1 product", "2 products".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func printProblems(w io.Writer, errs []csvio.RowError) {
	for i, e := range errs {
		if i == maxPrintedProblems {
			fmt.Fprintf(w, "… and %d more problems\n", len(errs)-i)
			return
		}
		fmt.Fprintln(w, e.String())
	}
}

// userError keeps a refusal to its message: the merchant needs the
// sentence, not the error code and the wrapping.
func userError(err error) error {
	if fault.CodeOf(err) != fault.Internal {
		return errors.New(fault.MessageOf(err))
	}
	return err
}

// importBar shows the write: a bar over the rows with --skip-invalid, which
// writes in batches; a spinner without it, since the file is then written in
// one transaction whose progress cannot be seen until it commits.
type importBar struct {
	w     io.Writer
	oneTx bool
	pb    *progressbar.ProgressBar
}

func (b *importBar) update(done, total int) {
	if b.pb == nil {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("importing rows"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { io.WriteString(b.w, "\n") }),
		}
		max := total
		if b.oneTx {
			max = -1
			opts = []progressbar.Option{
				progressbar.OptionSetWriter(b.w),
				progressbar.OptionSetDescription(fmt.Sprintf("writing %d rows in one transaction", total)),
				progressbar.OptionOnCompletion(func() { io.WriteString(b.w, "\n") }),
			}
		}
		b.pb = progressbar.NewOptions(max, opts...)
	}
	if done == total {
		_ = b.pb.Finish()
		return
	}
	_ = b.pb.Set(done)
}

// stop ends the bar where it stands (an error, a refusal), so what follows
// starts on a new line and the spinner's goroutine ends. Safe on nil.
func (b *importBar) stop() {
	if b != nil && b.pb != nil && !b.pb.IsFinished() {
		_ = b.pb.Exit()
	}
}
