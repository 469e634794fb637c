package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/fault"
	"agora/internal/importjob"
	"agora/internal/store"
)

// maxPrintedProblems bounds the per-row report on the terminal; the count
// of the rest follows it.
const maxPrintedProblems = 50

func importCommand() *command {
	var db string
	var dryRun, skipInvalid, quiet, updateOnly, archiveMissing, finish bool
	var fs *flag.FlagSet
	return &command{
		name:    "import",
		summary: "create and update products and variants from a CSV file (dry run with a diff, per-row report)",
		usage: `agora import FILE.csv [--dry-run] [--update-only] [--archive-missing] [--skip-invalid] [--db …]
       agora import --finish-pending [--db …]

Creates and updates the products of a CSV file, one row per variant, with the columns
` + "`agora export`" + ` writes (the header row names them, in any order):

  handle,name,description,brand,status,featured,categories,sku,variant_name,
  option1_name,option1_value,option2_name,option2_value,price,currency,stock,images,
  attributes

handle, name, sku and price are required. Rows of one product share its
handle; its other columns are on its first row, blank or repeated on the
next. categories are paths of existing categories ("Clothing > Men >
Shirts"), several separated by "|"; images are media keys separated by "|";
attributes are the product's own, "Material: Cotton|Fit: Slim" (a "|"
inside a name or value is written \|, a backslash \\); prices use a dot
("12.50"). The file is UTF-8 (Excel: "CSV UTF-8").

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
others listed. The import runs as the admin's imports do (Products →
Import CSV, where it is listed and can be rolled back): written in steps of
500 new or 200 changed products, each one short transaction with one purge
of exactly the pages it changed, so checkouts go on meanwhile; a step that
fails rolls back what the import wrote. One import at a time. If this
command is stopped half way, the app servers' workers finish the import
within a minute; without a running app, --finish-pending does. Exit status
1 when any row was refused.`,
		setup: func(f *flag.FlagSet) {
			fs = f
			f.StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
			f.BoolVar(&dryRun, "dry-run", false, "check the file against the database and write nothing")
			f.BoolVar(&skipInvalid, "skip-invalid", false, "import the valid products and list the rows skipped, instead of refusing the file")
			f.BoolVar(&updateOnly, "update-only", false, "refuse rows whose handle no product has: change the catalog, create nothing")
			f.BoolVar(&archiveMissing, "archive-missing", false, "archive the products the file does not name (the file is the whole catalog)")
			f.BoolVar(&quiet, "quiet", false, "no progress bar (shown only when stderr is a terminal anyway)")
			f.BoolVar(&finish, "finish-pending", false, "finish an import left half-written by a stopped command or admin, when no app server runs to do it")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			path, help, err := importArgs(fs, env)
			if err != nil || help {
				return err
			}
			switch {
			case finish && path != "":
				return fmt.Errorf("%w: --finish-pending finishes an import already started; give no file", errUsage)
			case !finish && path == "":
				return fmt.Errorf("%w: give the CSV file to import, as in `agora import products.csv`", errUsage)
			}
			var file *os.File
			if !finish { // the file's problems first: they need no database
				if file, err = os.Open(path); err != nil {
					return err
				}
				defer file.Close()
			}
			d, err := store.Open(ctx, db, store.Options{})
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.CheckSchema(ctx); err != nil {
				return err
			}
			if finish {
				return finishImports(ctx, env, d)
			}
			if dryRun {
				return importDryRun(ctx, env, d, path, file, csvio.Options{DryRun: true, SkipInvalid: skipInvalid, UpdateOnly: updateOnly, ArchiveMissing: archiveMissing})
			}
			data, err := io.ReadAll(file)
			if err != nil {
				return err
			}
			opts := importjob.Options{SkipInvalid: skipInvalid, UpdateOnly: updateOnly, ArchiveMissing: archiveMissing, Confirmed: true}
			var bar *importBar
			if env.progress != nil && !quiet {
				bar = &importBar{w: env.progress}
				defer bar.stop()
			}
			start := time.Now()
			j, err := runImportJob(ctx, d, filepath.Base(path), data, opts, bar)
			bar.stop()
			if err != nil {
				return userError(err)
			}
			sum := j.Summary
			if sum != nil {
				printProblems(env.stderr, sum.Errors, sum.AllErrors)
			}
			switch {
			case j.State == importjob.Refused:
				return errors.New(sum.Message)
			case j.State == importjob.Checked: // the catalog changed between the check and the write
				return fmt.Errorf("the catalog changed while %s was being checked, so nothing was written: run the import again", path)
			case j.State != importjob.Done:
				return errors.New(j.Error)
			}
			took := time.Since(start).Round(10 * time.Millisecond)
			fmt.Fprintf(env.stdout, "imported %s in %s: created %s (%s), updated %d, archived %d, %d unchanged\n",
				path, took, plural(sum.Products, "product"), plural(sum.Variants, "variant"), sum.Updated, sum.Archived, sum.Unchanged)
			if sum.Skipped > 0 {
				return fmt.Errorf("%d of %d rows were skipped (listed above)", sum.Skipped, sum.Rows)
			}
			return nil
		},
	}
}

// importDryRun prints what importing the file would change.
func importDryRun(ctx context.Context, env *cmdEnv, d *store.DB, path string, file io.Reader, opts csvio.Options) error {
	rep, err := csvio.Import(ctx, d, file, opts)
	printProblems(env.stderr, rep.Errors, len(rep.Errors))
	if err != nil {
		return userError(err)
	}
	for _, c := range rep.Changes {
		fmt.Fprintln(env.stdout, c.String())
	}
	fmt.Fprintf(env.stdout, "dry run of %s: would create %s (%s), update %d, archive %d, leave %d as they are; nothing was written\n",
		path, plural(rep.Products, "product"), plural(rep.Variants, "variant"), rep.Updated, rep.Archived, rep.Unchanged)
	if rep.Skipped > 0 {
		return fmt.Errorf("%d of %d rows would be skipped (listed above)", rep.Skipped, rep.Rows)
	}
	return nil
}

// runImportJob imports a file as the admin does (importjob), with this
// process as the worker: checked whole, then written in short steps, each
// marked done in its own transaction, so SQLite's writer is never held for
// long and checkouts go on; a failed step rolls back what was written. If
// this process dies half-way, the app tier's workers finish the job once
// its lease runs out (30 s). It returns the job as it ended.
func runImportJob(ctx context.Context, d *store.DB, name string, data []byte, opts importjob.Options, bar *importBar) (importjob.Job, error) {
	s := cliImports(d)
	j, err := s.Submit(ctx, name, data, opts, "agora import")
	if fault.CodeOf(err) == fault.Conflict {
		return j, fault.New(fault.Conflict, "%s If no app server is running to finish it, `agora import --finish-pending` does.", fault.MessageOf(err))
	}
	if err != nil {
		return j, err
	}
	for j.State.Busy() {
		if _, err := s.Work(ctx); err != nil {
			return j, err
		}
		if j, err = s.Get(ctx, j.ID); err != nil {
			return j, err
		}
		if bar != nil && j.Rows > 0 {
			bar.update(j.RowsDone, j.Rows)
		}
	}
	return j, nil
}

// cliImports is the import service of this command, which is its worker;
// the command reports the outcome itself, so the service's log is dropped.
func cliImports(d *store.DB) *importjob.Service {
	return &importjob.Service{DB: d, Catalog: catalog.New(d), MaxFileBytes: maxCLIImport,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// finishImports works on every import a stopped worker left (its lease
// run out, or handed over), as an app server's worker would.
func finishImports(ctx context.Context, env *cmdEnv, d *store.DB) error {
	s := cliImports(d)
	n := 0
	for {
		worked, err := s.Work(ctx)
		if err != nil {
			return err
		}
		if !worked {
			break
		}
		n++
	}
	jobs, err := s.List(ctx, 1)
	if err != nil {
		return err
	}
	switch {
	case len(jobs) > 0 && jobs[0].State.Busy() && jobs[0].LeaseUntil != nil:
		j := jobs[0]
		fmt.Fprintf(env.stdout, "import %d (%s) is %s, held by a worker until %s: if that worker is running, it finishes the import; if it was stopped, run this again after then\n",
			j.ID, j.FileName, j.State, j.LeaseUntil.UTC().Format("15:04:05 UTC"))
	case n == 0:
		fmt.Fprintln(env.stdout, "no import was waiting to be finished")
	default:
		j := jobs[0]
		fmt.Fprintf(env.stdout, "import %d (%s) is %s\n", j.ID, j.FileName, j.State)
		if j.Error != "" {
			fmt.Fprintln(env.stdout, j.Error)
		}
	}
	return nil
}

// maxCLIImport bounds a file `agora import` reads: it is kept in the
// database while it is imported (a PostgreSQL bytea holds up to 1 GB).
const maxCLIImport = 900 << 20

// importArgs takes the file name and the flags written after it, as in
// `agora import products.csv --dry-run`: the command line's parse has read
// the flags before the file, and package flag stops at the first argument
// that is not a flag. help is true when --help was answered; path is ""
// when no file was given.
func importArgs(fs *flag.FlagSet, env *cmdEnv) (path string, help bool, err error) {
	args := env.args
	if len(args) > 0 {
		path, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.stdout)
			fs.Usage()
			return "", true, nil
		}
		return "", false, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return "", false, fmt.Errorf("%w: one file at a time (got %q too)", errUsage, fs.Arg(0))
	}
	return path, false, nil
}

// plural writes "1 product", "2 products".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printProblems lists the first maxPrintedProblems of errs, then the count
// of the rest of total.
func printProblems(w io.Writer, errs []csvio.RowError, total int) {
	for i, e := range errs {
		if i == maxPrintedProblems {
			break
		}
		fmt.Fprintln(w, e.String())
	}
	if rest := total - min(len(errs), maxPrintedProblems); rest > 0 {
		fmt.Fprintf(w, "… and %d more problems\n", rest)
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

// importBar shows the write: a bar over the file's rows, as the steps
// commit.
type importBar struct {
	w  io.Writer
	pb *progressbar.ProgressBar
}

func (b *importBar) update(done, total int) {
	if b.pb == nil {
		b.pb = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("importing rows"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { io.WriteString(b.w, "\n") }))
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
