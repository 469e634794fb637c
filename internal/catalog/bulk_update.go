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
// whole batch, with its error.
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
		for _, u := range updates {
			if u.Patch != (ProductPatch{}) { // two reads saved per price-only product
				if err := c.updateProduct(bctx, tx, u.ID, u.Patch); err != nil {
					return err
				}
			}
			// The product's totals and listing once for all its variants.
			var writes []variantWrite
			for _, v := range u.Variants {
				w, err := c.writeVariant(bctx, tx, v.ID, v.Patch)
				if err != nil {
					return err
				}
				if w.cur.ProductID != u.ID {
					return fmt.Errorf("catalog: variant %d is not product %d's", v.ID, u.ID)
				}
				if w.changed() {
					writes = append(writes, w)
				}
			}
			if len(writes) > 0 {
				if err := c.afterVariants(bctx, tx, u.ID, writes...); err != nil {
					return err
				}
			}
			for _, nv := range u.NewVariants {
				if _, err := c.addVariant(bctx, tx, u.ID, nv); err != nil {
					return err
				}
			}
		}
		tags = batch.List()
		return c.purge(ctx, tx, tags)
	})
	return tags, err
}
