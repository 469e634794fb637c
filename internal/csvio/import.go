package csvio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/store"
)

// Options change how Import treats a file. The zero value imports all or
// nothing.
type Options struct {
	// DryRun checks the file against the database and writes nothing; the
	// report says what an import would do.
	DryRun bool
	// SkipInvalid imports the valid products and skips the others (every
	// row of a product with one bad row), which the report lists. Without
	// it, one bad row refuses the whole file.
	SkipInvalid bool
	// Progress, if not nil, is told how many rows of total are written, from
	// Import's goroutine, as the write advances.
	Progress func(done, total int)
	// UpdateOnly refuses rows whose handle no product has: the file
	// changes the catalog and adds nothing.
	UpdateOnly bool
	// ArchiveMissing archives the products the file does not name: the
	// file is the whole catalog.
	ArchiveMissing bool
}

// Report says what Import did, or would do in a dry run.
type Report struct {
	Rows     int // data rows read (the header and blank rows excluded)
	Products int // products created, or that a dry run would create
	Variants int // their variants: one per row
	// Updated products changed, Unchanged ones the file names as they
	// are, Archived ones ArchiveMissing archives (or would).
	Updated, Unchanged, Archived int
	// Changes is every difference made (or that a dry run would make),
	// in file order, archives last.
	Changes []Change
	Skipped int // rows not imported (SkipInvalid), the rows of Errors included
	// Errors are the problems found, in row order: every row refused and
	// why, and with SkipInvalid each other row skipped with its product.
	Errors []RowError
}

// ErrRefused is wrapped by the error Import returns when the file had
// problems and nothing was imported; the Report lists them.
var ErrRefused = errors.New("nothing was imported")

// Import reads a product CSV from r, after checking every row (the
// columns and encoding, each value, SKUs unique in the file and owned by
// no other product, categories that exist), and creates the products
// whose handle is new and updates those the catalog has (update.go).
// Without SkipInvalid one bad row refuses the whole file, before anything
// is written; creations are one transaction, updates short batches
// (catalog.UpdateMany) so checkouts go on meanwhile. Should the write stop
// half-way (the database lost), running the same file again completes it:
// what is applied already shows no difference.
func Import(ctx context.Context, db *store.DB, r io.Reader, opts Options) (Report, error) {
	p, err := Prepare(ctx, db, r, opts)
	if err != nil || opts.DryRun {
		return p.Report, err
	}
	rep := p.Report
	rep.Products, rep.Variants = 0, 0 // counted as written
	if err := write(ctx, catalog.New(db), p.creates, opts.SkipInvalid, opts.Progress, &rep); err != nil {
		return rep, err
	}
	return rep, applyUpdates(ctx, catalog.New(db), p.updates, p.archive)
}

// Prepared is a file checked against the catalog and planned: its Report
// says what writing it will do (a dry run's answer), Steps how.
type Prepared struct {
	Report  Report
	creates []*item
	updates []*item
	archive []archived
}

// Prepare reads and checks a file and plans its writes without writing
// anything: Import's first half, and an admin import's check (its
// Report's counts of products and variants are what would be created).
// A refused file comes back with a fault.Invalid error wrapping ErrRefused
// and its problems in the Report.
func Prepare(ctx context.Context, db *store.DB, r io.Reader, opts Options) (*Prepared, error) {
	p := &Prepared{}
	rep := &p.Report
	rows, present, problems, stopped, err := readRows(r)
	rep.Rows = len(rows)
	if err != nil {
		return p, err
	}
	if stopped {
		rep.Errors = problems
		return p, refused(*rep)
	}
	items, orphans := group(rows)
	problems = append(problems, orphans...)
	for _, it := range items {
		it.build()
	}
	checkDuplicateSKUs(items)
	paths, err := checkDatabase(ctx, db, items, opts)
	if err != nil {
		return p, err
	}
	var creates, updates []*item
	changes, err := planAll(ctx, db, items, present, paths)
	if err != nil {
		return p, err
	}
	rep.Changes = changes
	for _, it := range items {
		problems = append(problems, it.errs...)
		switch {
		case it.bad():
		case it.existing == 0:
			creates = append(creates, it)
			rep.Changes = append(rep.Changes, Change{Kind: ChangeNewProduct, Row: it.rows[0].n, Handle: it.handle, New: plural(len(it.rows), "variant")})
		case it.update != nil:
			updates = append(updates, it)
		default:
			rep.Unchanged++
		}
	}
	if len(problems) > 0 && !opts.SkipInvalid {
		rep.Errors = sortErrors(problems)
		rep.Changes = nil
		return p, refused(*rep)
	}
	slices.SortStableFunc(rep.Changes, func(a, b Change) int { return a.Row - b.Row })
	var archive []archived
	if opts.ArchiveMissing {
		if len(items) == 0 {
			return p, fault.New(fault.Invalid, "The file names no product: with archive-missing it would archive the whole catalog. Nothing was changed.")
		}
		if archive, err = missingProducts(ctx, db, items); err != nil {
			return p, err
		}
		for _, a := range archive {
			rep.Changes = append(rep.Changes, Change{Kind: ChangeArchive, Handle: a.handle})
		}
	}
	rep.Errors = sortErrors(append(problems, skippedRows(items)...))
	rep.Skipped = rep.Rows - countRows(creates) - countRows(updates) - rowsOfUnchanged(items)
	rep.Updated, rep.Archived = len(updates), len(archive)
	rep.Products, rep.Variants = len(creates), countRows(creates)
	p.creates, p.updates, p.archive = creates, updates, archive
	return p, nil
}

func rowsOfUnchanged(items []*item) int {
	n := 0
	for _, it := range items {
		if !it.bad() && it.existing != 0 && it.update == nil {
			n += len(it.rows)
		}
	}
	return n
}

func refused(rep Report) error {
	return &fault.Error{Code: fault.Invalid, Cause: ErrRefused,
		Message: fmt.Sprintf("The file has %s, listed by row: nothing was imported. Fix them, or import with skip-invalid to import the valid products alone.", plural(len(rep.Errors), "problem"))}
}

// checkDuplicateSKUs refuses a SKU given twice in the file, on the later
// row, naming the earlier.
func checkDuplicateSKUs(items []*item) {
	first := map[string]int{}
	for _, it := range items {
		for i, v := range it.np.Variants { // aligned with it.rows, when built
			rw, sku := it.rows[i], v.SKU
			if sku == "" {
				continue
			}
			if at, dup := first[sku]; dup {
				it.fail(rw.n, colSKU, "The SKU %q is also on row %d: each variant needs its own SKU.", sku, at)
				continue
			}
			first[sku] = rw.n
		}
	}
}

// skippedRows lists, for SkipInvalid, the rows refused only because another
// row of their product was.
func skippedRows(items []*item) []RowError {
	var out []RowError
	for _, it := range items {
		if !it.bad() {
			continue
		}
		own := map[int]bool{}
		for _, e := range it.errs {
			own[e.Row] = true
		}
		at := 0
		if len(it.errs) > 0 {
			at = slices.MinFunc(it.errs, func(a, b RowError) int { return a.Row - b.Row }).Row
		}
		for _, rw := range it.rows {
			if own[rw.n] || rw.broken {
				continue
			}
			if at == 0 { // the product's problem is a broken row
				for _, o := range it.rows {
					if o.broken {
						at = o.n
						break
					}
				}
			}
			out = append(out, RowError{Row: rw.n, Message: fmt.Sprintf("Skipped with its product %q: see row %d.", it.handle, at)})
		}
	}
	return out
}

func sortErrors(errs []RowError) []RowError {
	slices.SortStableFunc(errs, func(a, b RowError) int { return a.Row - b.Row })
	return errs
}

// plural writes "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func countRows(items []*item) int {
	n := 0
	for _, it := range items {
		n += len(it.rows)
	}
	return n
}
