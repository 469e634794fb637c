package csvio

import (
	"context"
	"fmt"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// batchSize is the number of products per CreateProducts call with
// SkipInvalid: as in seeding, large enough to amortize commits, small enough
// to show progress and let other writers (checkouts) in between batches.
const batchSize = 500

// analyzeAfter is the number of products past which an import readies the
// database for reads (catalog.AfterBulkLoad), as seeding does.
const analyzeAfter = 1000

// write creates the checked products. Without skip (all-or-nothing) it is
// one transaction; with skip, batches, and a batch that fails (a SKU taken
// since the check, say) is retried product by product so that only the
// culprits are skipped, each named in the report.
func write(ctx context.Context, cat *catalog.Catalog, items []*item, skip bool, progress func(done, total int), rep *Report) error {
	total := countRows(items)
	done := 0
	report := func(batch []*item) {
		rep.Products += len(batch)
		rep.Variants += countRows(batch)
		done += countRows(batch)
		if progress != nil {
			progress(done, total)
		}
	}
	if progress != nil {
		progress(0, total)
	}
	size := len(items)
	if skip {
		size = batchSize
	}
	for start := 0; start < len(items); start += size {
		batch := items[start:min(start+size, len(items))]
		err := create(ctx, cat, batch)
		switch {
		case err == nil:
			report(batch)
		case !skip && fault.CodeOf(err) != fault.Internal:
			// Checked rows fail only when the catalog changed meanwhile
			// (a SKU taken by the admin, say).
			return &fault.Error{Code: fault.CodeOf(err), Message: "Nothing was imported: " + fault.MessageOf(err), Cause: err}
		case !skip:
			return fmt.Errorf("csvio: nothing was imported: %w", err)
		default:
			for _, it := range batch {
				switch err := create(ctx, cat, []*item{it}); {
				case err == nil:
					report([]*item{it})
				case fault.CodeOf(err) == fault.Internal:
					return fmt.Errorf("csvio: import stopped after %d products: %w", rep.Products, err)
				default:
					rep.Errors = sortErrors(append(rep.Errors, RowError{Row: it.rows[0].n, Message: fault.MessageOf(err)}))
					rep.Skipped += len(it.rows)
				}
			}
		}
	}
	if rep.Products >= analyzeAfter {
		return cat.AfterBulkLoad(ctx)
	}
	return nil
}

func create(ctx context.Context, cat *catalog.Catalog, items []*item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	nps := make([]catalog.NewProduct, len(items))
	for i, it := range items {
		nps[i] = it.np
	}
	_, err := cat.CreateProducts(ctx, nps)
	return err
}
