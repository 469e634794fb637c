package csvio

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/store"
)

// updateBatch is the products changed per transaction: a few hundred
// small updates commit in milliseconds, so a checkout waits for SQLite's
// writer no longer than that, and each batch appends one purge log entry.
const updateBatch = 200

// planAll plans the update of every existing product the file names,
// reading them a page at a time (readProducts: four queries per page, not
// several per product), each page in one read-only transaction.
func planAll(ctx context.Context, db *store.DB, items []*item, present [numColumns]bool, paths *categoryPaths) ([]Change, error) {
	byID := map[int64]*item{}
	var ids []int64
	for _, it := range items {
		if it.existing != 0 && !it.bad() {
			byID[it.existing] = it
			ids = append(ids, it.existing)
		}
	}
	slices.Sort(ids)
	var out []Change
	for start := 0; start < len(ids); start += exportPage {
		var page []*catalog.Product
		err := db.InReadTx(ctx, func(tx *sql.Tx) error {
			var err error
			page, err = readProducts(ctx, tx, ids[start:min(start+exportPage, len(ids))])
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			out = append(out, byID[p.ID].plan(p, present, paths)...)
		}
	}
	return out, nil
}

// archived is a product ArchiveMissing archives.
type archived struct {
	id     int64
	handle string
	status string // before the archive, for an undo
}

// missingProducts are the products not archived yet whose handle the file
// does not name, bad rows' handles included (a product the file names but
// could not read is not "missing").
func missingProducts(ctx context.Context, db *store.DB, items []*item) ([]archived, error) {
	named := make(map[string]bool, len(items))
	for _, it := range items {
		named[it.handle] = true
	}
	var out []archived
	rows, err := db.Query(ctx, `SELECT id, slug, status FROM products WHERE status <> 'archived' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("csvio: products to archive: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a archived
		if err := rows.Scan(&a.id, &a.handle, &a.status); err != nil {
			return nil, fmt.Errorf("csvio: products to archive: %w", err)
		}
		if !named[a.handle] {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

// applyUpdates writes the planned updates, then the archives, in batches
// of updateBatch products (catalog.UpdateMany: one transaction and one
// purge log entry each).
func applyUpdates(ctx context.Context, cat *catalog.Catalog, updates []*item, archive []archived) error {
	var batch []catalog.ProductUpdate
	done := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := cat.UpdateMany(ctx, batch); err != nil {
			msg := fmt.Sprintf("The update stopped after %d of %d products: %s Run the same file again to finish it: what is applied already is not changed twice.",
				done, len(updates)+len(archive), fault.MessageOf(err))
			return &fault.Error{Code: fault.CodeOf(err), Message: msg, Cause: err}
		}
		done += len(batch)
		batch = batch[:0]
		return nil
	}
	for _, it := range updates {
		batch = append(batch, *it.update)
		if len(batch) == updateBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	status := "archived"
	for _, a := range archive {
		batch = append(batch, catalog.ProductUpdate{ID: a.id, Patch: catalog.ProductPatch{Status: &status}})
		if len(batch) == updateBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
