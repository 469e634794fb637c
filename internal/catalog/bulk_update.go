package catalog

import (
	"context"
	"database/sql"
	"fmt"

	"agora/internal/cachehdr"
)

// Bulk updates (issue 16): a CSV update changes thousands of products.
// One transaction per product would append a purge log entry each; one
// for the whole file would hold SQLite's single writer for a minute,
// failing every checkout behind it. UpdateMany takes a batch: one short
// transaction whose writers collect their tags, appended once,
// deduplicated (a price change: its product; a stock change only when the
// availability class changes; category moves: the categories).
//
// Its variants are written set-based: a few statements per batch, not ten
// per product, since on PostgreSQL each statement is a round trip (about
// 0.3 ms) and 100,000 variants took 103 s one by one.

// ProductUpdate is the changes to one existing product.
type ProductUpdate struct {
	ID    int64
	Patch ProductPatch // its zero value changes nothing
	// Variants change existing variants by id; NewVariants are added.
	Variants    []VariantUpdate
	NewVariants []NewVariant
}

// VariantUpdate is the changes to one existing variant.
type VariantUpdate struct {
	ID    int64
	Patch VariantPatch
}

// UpdateMany applies updates in one transaction and returns the tags it
// appended to the purge log (in one entry). An invalid change fails the
// whole batch, with its error naming the product and variant.
func (c *Catalog) UpdateMany(ctx context.Context, updates []ProductUpdate) ([]string, error) {
	for _, u := range updates {
		if err := u.Patch.validate(); err != nil {
			return nil, fmt.Errorf("product %d: %w", u.ID, err)
		}
	}
	var tags []string
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		batch := &cachehdr.Tags{}
		bctx := context.WithValue(ctx, tagBatchKey{}, batch)
		if err := c.updateMany(bctx, tx, updates); err != nil {
			return err
		}
		tags = batch.List()
		return c.purge(ctx, tx, tags)
	})
	return tags, err
}

// updateMany locks every variant the batch changes, in id order as
// checkout does (so neither deadlocks the other), then applies each
// product's patch and its variants' patches in the batch's order, writes
// the variants in one statement, brings the totals and listings of their
// products up to date once, and adds the new variants last (their
// relisting then sees the other variants' new options).
func (c *Catalog) updateMany(ctx context.Context, tx *sql.Tx, updates []ProductUpdate) error {
	locked, err := c.lockVariants(ctx, tx, variantIDs(updates))
	if err != nil {
		return err
	}
	writes := map[int64][]variantWrite{} // by product: the changes its totals follow
	for _, u := range updates {
		if u.Patch != (ProductPatch{}) { // two reads saved per price-only product
			if err := c.updateProduct(ctx, tx, u.ID, u.Patch); err != nil {
				return fmt.Errorf("catalog: product %d: %w", u.ID, err)
			}
		}
		for _, v := range u.Variants {
			w, err := c.patchLocked(ctx, tx, locked, u.ID, v)
			if err != nil {
				return fmt.Errorf("catalog: product %d, variant %d: %w", u.ID, v.ID, err)
			}
			if w.changed() {
				writes[u.ID] = append(writes[u.ID], w)
			}
		}
	}
	if err := c.writeVariants(ctx, tx, writes); err != nil {
		return err
	}
	if err := c.retotalMany(ctx, tx, writes); err != nil {
		return err
	}
	for _, u := range updates {
		for _, nv := range u.NewVariants {
			if _, err := c.addVariant(ctx, tx, u.ID, nv); err != nil {
				return fmt.Errorf("catalog: product %d, new variant %q: %w", u.ID, nv.SKU, err)
			}
		}
	}
	return nil
}

func variantIDs(updates []ProductUpdate) []int64 {
	var ids []int64
	for _, u := range updates {
		for _, v := range u.Variants {
			ids = append(ids, v.ID)
		}
	}
	return ids
}
