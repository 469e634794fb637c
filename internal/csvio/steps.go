package csvio

import (
	"context"
	"database/sql"
	"fmt"

	"agora/internal/catalog"
	"agora/internal/store"
)

// Steps of a background import (the admin's, issue 16). Where `agora
// import` creates a file's new products in one transaction, a job run by
// the app tier must never hold SQLite's one writer for long: it writes in
// steps of a few hundred products, each one transaction and one purge log
// entry, and keeps with each step what undoes it, so the import can be
// rolled back as a whole, automatically when a step fails half-way.

// Step is one transaction of an import.
type Step struct {
	Rows   int                     `json:"rows"` // the file's rows it writes, for progress
	Create []catalog.NewProduct    `json:"create,omitempty"`
	Update []catalog.ProductUpdate `json:"update,omitempty"`
}

// Undo puts back what one step did.
type Undo struct {
	// Update restores the fields the step changed, to their values before
	// it (stock as of the import's level, so units sold since stay sold).
	Update []catalog.ProductUpdate `json:"update,omitempty"`
	// Archive are the handles of products the step created: archived, not
	// deleted, as orders may already name them.
	Archive []string `json:"archive,omitempty"`
	// OffSale are the SKUs of variants the step added to existing
	// products: their stock goes to 0 (variants are not deleted either).
	OffSale []string `json:"off_sale,omitempty"`
}

// createStep is the products per creating step: as many as seeding
// commits at once, a few tens of milliseconds of SQLite's writer.
const createStep = 500

// Steps are the writes of a prepared file in order (creations, updates,
// archives), each with its undo.
func (p *Prepared) Steps() ([]Step, []Undo) {
	var steps []Step
	var undos []Undo
	for start := 0; start < len(p.creates); start += createStep {
		var s Step
		var u Undo
		for _, it := range p.creates[start:min(start+createStep, len(p.creates))] {
			s.Create = append(s.Create, it.np)
			s.Rows += len(it.rows)
			u.Archive = append(u.Archive, it.handle)
		}
		steps, undos = append(steps, s), append(undos, u)
	}
	for start := 0; start < len(p.updates); start += updateBatch {
		var s Step
		var u Undo
		for _, it := range p.updates[start:min(start+updateBatch, len(p.updates))] {
			s.Update = append(s.Update, *it.update)
			s.Rows += len(it.rows)
			u.Update = append(u.Update, *it.undo)
			u.OffSale = append(u.OffSale, it.added...)
		}
		steps, undos = append(steps, s), append(undos, u)
	}
	archived := "archived"
	for start := 0; start < len(p.archive); start += updateBatch {
		var s Step
		var u Undo
		for _, a := range p.archive[start:min(start+updateBatch, len(p.archive))] {
			was := a.status
			s.Update = append(s.Update, catalog.ProductUpdate{ID: a.id, Patch: catalog.ProductPatch{Status: &archived}})
			u.Update = append(u.Update, catalog.ProductUpdate{ID: a.id, Patch: catalog.ProductPatch{Status: &was}})
		}
		steps, undos = append(steps, s), append(undos, u)
	}
	return steps, undos
}

// Apply writes the step in one transaction (ctx may carry a
// store.WithCommitHook that marks it done in that transaction).
func (s Step) Apply(ctx context.Context, cat *catalog.Catalog) error {
	if len(s.Create) > 0 {
		_, err := cat.CreateProducts(ctx, s.Create)
		return err
	}
	if len(s.Update) > 0 {
		_, err := cat.UpdateMany(ctx, s.Update)
		return err
	}
	return nil
}

// Apply undoes the step in one transaction. The products it created and
// the variants it added are found by handle and SKU, as their ids were
// not known when it was planned.
func (u Undo) Apply(ctx context.Context, db *store.DB, cat *catalog.Catalog) error {
	updates := append([]catalog.ProductUpdate(nil), u.Update...)
	if len(u.Archive) > 0 {
		ids, err := idsOf(ctx, db, `SELECT id, id FROM products WHERE slug IN (%s)`, u.Archive)
		if err != nil {
			return err
		}
		archived := "archived"
		for id := range ids {
			updates = append(updates, catalog.ProductUpdate{ID: id, Patch: catalog.ProductPatch{Status: &archived}})
		}
	}
	if len(u.OffSale) > 0 {
		byVariant, err := idsOf(ctx, db, `SELECT id, product_id FROM variants WHERE sku IN (%s)`, u.OffSale)
		if err != nil {
			return err
		}
		zero := 0
		at := map[int64]int{} // product id → its update's index
		for i, pu := range updates {
			at[pu.ID] = i
		}
		for vid, pid := range byVariant {
			i, ok := at[pid]
			if !ok {
				i = len(updates)
				at[pid] = i
				updates = append(updates, catalog.ProductUpdate{ID: pid})
			}
			updates[i].Variants = append(updates[i].Variants, catalog.VariantUpdate{ID: vid, Patch: catalog.VariantPatch{Stock: &zero}})
		}
	}
	if len(updates) == 0 {
		return nil
	}
	_, err := cat.UpdateMany(ctx, updates)
	return err
}

// idsOf runs query (two id columns, "IN (%s)" for the keys) and maps the
// first column to the second.
func idsOf(ctx context.Context, db *store.DB, query string, keys []string) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := db.InChunks(ctx, query, keys, func(rows *sql.Rows) error {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		out[a] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("csvio: find what an undo puts back: %w", err)
	}
	return out, nil
}
