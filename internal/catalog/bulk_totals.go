package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"agora/internal/cachehdr"
	"agora/internal/store"
)

// retotalMany is afterVariants for every product of writes at once: the
// same totals, listing rows and purge decision, in a few statements for
// the batch.
func (c *Catalog) retotalMany(ctx context.Context, tx *sql.Tx, writes map[int64][]variantWrite) error {
	if len(writes) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(writes))
	tots, err := c.totalsMany(ctx, tx, ids)
	if err != nil {
		return err
	}
	var changed []int64 // prices or options: listing and option rows follow
	var tags cachehdr.Tags
	for _, id := range ids {
		if relisted(writes[id]) {
			changed = append(changed, id)
		}
		if pageStale(writes[id], tots[id]) {
			tags.Add(cachehdr.ProductTag(id))
		}
	}
	if err := relistMany(ctx, tx, c.db.Dialect, changed); err != nil {
		return err
	}
	return c.purge(ctx, tx, tags.List())
}

// totalsMany is retotal's two statements for products ids (sorted): the
// product rows are locked first, in id order as checkout locks them, then
// the sums are read by a second statement, which on PostgreSQL (READ
// COMMITTED) sees every variant change committed by whoever held a row
// before us.
func (c *Catalog) totalsMany(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]totals, error) {
	d := c.db.Dialect
	tots := make(map[int64]totals, len(ids))
	rows, err := tx.QueryContext(ctx, `SELECT id, status, stock FROM products WHERE `+d.InIDs("id", 1)+
		` ORDER BY id`+c.forUpdate(), d.IDsArg(ids))
	if err != nil {
		return nil, fmt.Errorf("catalog: lock products: %w", err)
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		var id int64
		var status string
		var t totals
		err := r.Scan(&id, &status, &t.stockBefore)
		t.active = status == "active"
		tots[id] = t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: lock products: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `UPDATE products SET updated_at = $2,
		price_cents = (SELECT COALESCE(min(price_cents), 0) FROM variants WHERE product_id = products.id),
		stock = (SELECT COALESCE(sum(stock), 0) FROM variants WHERE product_id = products.id)
		WHERE `+d.InIDs("id", 1)+` RETURNING id, stock`, d.IDsArg(ids), c.now())
	if err != nil {
		return nil, fmt.Errorf("catalog: totals of %d products: %w", len(ids), err)
	}
	seen := 0
	err = scanEach(rows, func(r *sql.Rows) error {
		var id int64
		var stock int
		err := r.Scan(&id, &stock)
		t := tots[id]
		t.stock = stock
		tots[id] = t
		seen++
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: totals of %d products: %w", len(ids), err)
	}
	if seen != len(ids) {
		return nil, fmt.Errorf("catalog: totals of %d products: %d found", len(ids), seen)
	}
	return tots, nil
}

// relistMany is relist for products ids at once: their product_options
// and category_listing rows rewritten.
func relistMany(ctx context.Context, tx *sql.Tx, d store.Dialect, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := reoptionMany(ctx, tx, d, ids); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM category_listing WHERE `+d.InIDs("product_id", 1), d.IDsArg(ids)); err != nil {
		return fmt.Errorf("catalog: clear listing: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fillListingManySQL(d), d.IDsArg(ids)); err != nil {
		return fmt.Errorf("catalog: listing of %d products: %w", len(ids), err)
	}
	return nil
}

// fillListingManySQL is fillListingSQL for the products whose ids are
// parameter $1 (store.Dialect.InIDs): the same walk up parent_id, carrying
// the product along.
func fillListingManySQL(d store.Dialect) string {
	return `INSERT INTO category_listing (category_id, product_id, rank, price_cents, created_at, name_key)
		WITH RECURSIVE up(product_id, id, parent_id) AS (
			SELECT pc.product_id, c.id, c.parent_id FROM product_categories pc JOIN categories c ON c.id = pc.category_id
			WHERE ` + d.InIDs("pc.product_id", 1) + `
			UNION
			SELECT up.product_id, c.id, c.parent_id FROM up JOIN categories c ON c.id = up.parent_id
		)
		SELECT up.id, p.id, p.rank, p.price_cents, p.created_at, p.name_key
		FROM up JOIN products p ON p.id = up.product_id WHERE p.status = 'active'`
}

// optionRow is one row of product_options, as one JSON row (store.JSONRows).
type optionRow struct {
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	Value     string `json:"value"`
}

// reoptionMany rewrites the rows of product_options of products ids from
// their attributes and their variants' options.
func reoptionMany(ctx context.Context, tx *sql.Tx, d store.Dialect, ids []int64) error {
	attrs, err := attributesOf(ctx, tx, d, ids)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT product_id, options FROM variants WHERE `+d.InIDs("product_id", 1), d.IDsArg(ids))
	if err != nil {
		return fmt.Errorf("catalog: options: %w", err)
	}
	all := map[int64][][]Option{}
	err = scanEach(rows, func(r *sql.Rows) error {
		var id int64
		var raw string
		var opts []Option
		if err := r.Scan(&id, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(raw), &opts); err != nil {
			return fmt.Errorf("of product %d: %w", id, err)
		}
		all[id] = append(all[id], opts)
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog: options: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM product_options WHERE `+d.InIDs("product_id", 1), d.IDsArg(ids)); err != nil {
		return fmt.Errorf("catalog: clear options: %w", err)
	}
	var out []optionRow
	for _, id := range ids {
		for _, kv := range optionPairs(attrs[id], all[id]) {
			out = append(out, optionRow{ProductID: id, Name: kv[0], Value: kv[1]})
		}
	}
	if len(out) == 0 {
		return nil
	}
	arg, err := store.RowsArg(out)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO product_options (product_id, name, value)
		SELECT n.product_id, n.name, n.value FROM `+d.JSONRows(1, "n", "product_id bigint", "name text", "value text"), arg)
	if err != nil {
		return fmt.Errorf("catalog: insert %d options: %w", len(out), err)
	}
	return nil
}

// attributesOf reads the attributes of products ids.
func attributesOf(ctx context.Context, tx *sql.Tx, d store.Dialect, ids []int64) (map[int64][]Option, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, attributes FROM products WHERE `+d.InIDs("id", 1), d.IDsArg(ids))
	if err != nil {
		return nil, fmt.Errorf("catalog: read attributes: %w", err)
	}
	out := make(map[int64][]Option, len(ids))
	err = scanEach(rows, func(r *sql.Rows) error {
		var id int64
		var raw string
		if err := r.Scan(&id, &raw); err != nil {
			return err
		}
		attrs, err := decodeAttributes(raw, id)
		out[id] = attrs
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: read attributes: %w", err)
	}
	return out, nil
}

// scanEach calls scan for each of rows and closes them.
func scanEach(rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
