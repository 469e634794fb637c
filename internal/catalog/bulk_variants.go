package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"agora/internal/store"
)

// lockVariants reads the variants ids, by id, locked on PostgreSQL in id
// order: the order checkout takes them in (checkout.takeStock), so a batch
// and an order never wait on each other in a cycle. An id not found is
// absent from the map.
func (c *Catalog) lockVariants(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]Variant, error) {
	out := make(map[int64]Variant, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	d := c.db.Dialect
	rows, err := tx.QueryContext(ctx, `SELECT `+variantColumns+` FROM variants WHERE `+d.InIDs("id", 1)+
		` ORDER BY id`+c.forUpdate(), d.IDsArg(ids))
	if err != nil {
		return nil, fmt.Errorf("catalog: lock variants: %w", err)
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		v, err := scanVariant(r)
		out[v.ID] = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: lock variants: %w", err)
	}
	return out, nil
}

// patchLocked applies u's patch to its variant as locked, or as an earlier
// update of the same batch left it (locked then holds the latest), and
// checks it belongs to product productID. A new SKU is written at once,
// one by one in the batch's order as UpdateVariant would: a SKU taken is
// refused naming it, which one statement for the batch could not do.
func (c *Catalog) patchLocked(ctx context.Context, tx *sql.Tx, locked map[int64]Variant, productID int64, u VariantUpdate) (variantWrite, error) {
	cur, ok := locked[u.ID]
	if !ok {
		return variantWrite{}, errNoVariant(u.ID)
	}
	if cur.ProductID != productID {
		return variantWrite{}, fmt.Errorf("catalog: the variant is product %d's", cur.ProductID)
	}
	w, err := patchVariant(cur, u.Patch)
	if err != nil {
		return w, err
	}
	if w.next.SKU != cur.SKU {
		_, err := tx.ExecContext(ctx, `UPDATE variants SET sku = $1 WHERE id = $2`, w.next.SKU, u.ID)
		if store.IsUniqueViolation(err) {
			return w, errSKUTaken(w.next.SKU)
		}
		if err != nil {
			return w, fmt.Errorf("catalog: sku: %w", err)
		}
	}
	locked[u.ID] = w.next
	return w, nil
}

// variantRow is the columns writeVariants sets, as one JSON row
// (store.JSONRows).
type variantRow struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Options    string `json:"options"` // JSON text, as the column holds it
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
}

// writeVariants writes every changed variant of writes, as its last write
// left it, in one statement (SKUs are patchLocked's).
func (c *Catalog) writeVariants(ctx context.Context, tx *sql.Tx, writes map[int64][]variantWrite) error {
	last := map[int64]Variant{}
	for _, ws := range writes {
		for _, w := range ws {
			last[w.next.ID] = w.next // a later write of one variant holds an earlier's result
		}
	}
	if len(last) == 0 {
		return nil
	}
	rows := make([]variantRow, 0, len(last))
	for id, v := range last {
		opts, err := json.Marshal(v.Options)
		if err != nil {
			return fmt.Errorf("catalog: options of variant %d: %w", id, err)
		}
		rows = append(rows, variantRow{ID: id, Name: v.Name, Options: string(opts), PriceCents: v.PriceCents, Stock: v.Stock})
	}
	arg, err := store.RowsArg(rows)
	if err != nil {
		return err
	}
	d := c.db.Dialect
	res, err := tx.ExecContext(ctx, `UPDATE variants SET name = n.name, options = n.options, price_cents = n.price_cents,
		stock = n.stock FROM `+d.JSONRows(1, "n", "id bigint", "name text", "options text", "price_cents bigint", "stock integer")+
		` WHERE variants.id = n.id`, arg)
	if err != nil {
		return fmt.Errorf("catalog: update %d variants: %w", len(rows), err)
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(len(rows)) {
		return fmt.Errorf("catalog: update %d variants: %d rows changed", len(rows), n)
	}
	return nil
}
