package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// VariantPatch changes some of a variant's fields; nil fields stay as they
// are.
type VariantPatch struct {
	PriceCents *int64
	Stock      *int
	// StockSince, with Stock, is the stock the caller saw when it decided
	// on Stock (a CSV import's start): units sold since are taken off
	// Stock, so a sale during a long import is neither lost nor doubled.
	StockSince *int
	Name, SKU  *string
	Options    *[]Option
}

// MaxOptions bounds the options of one variant.
const MaxOptions = 10

func checkOptions(opts []Option) error {
	if len(opts) > MaxOptions {
		return fault.Field("options", "A variant has at most %d options.", MaxOptions)
	}
	for _, o := range opts {
		if err := checkText("options.name", o.Name, MaxNameLen, true); err != nil {
			return err
		}
		if err := checkText("options.value", o.Value, MaxNameLen, true); err != nil {
			return err
		}
	}
	return nil
}

// UpdateVariant applies p to variant id and returns it as it now is. The
// product's price (the lowest variant's) and stock (the sum) follow in the
// same transaction. The product page is purged when what it shows changes:
// price, name, SKU or options, or stock only when the availability class
// of the variant or of the product changes.
func (c *Catalog) UpdateVariant(ctx context.Context, id int64, p VariantPatch) (Variant, error) {
	var out Variant
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = c.updateVariant(ctx, tx, id, p)
		return err
	})
	return out, err
}

func (c *Catalog) updateVariant(ctx context.Context, tx *sql.Tx, id int64, p VariantPatch) (Variant, error) {
	w, err := c.writeVariant(ctx, tx, id, p)
	if err != nil || !w.changed() {
		return w.next, err
	}
	return w.next, c.afterVariants(ctx, tx, w.cur.ProductID, w)
}

// variantWrite is one variant before and after writeVariant.
type variantWrite struct {
	cur, next Variant
}

// shown reports whether the change shows on the product page.
func (w variantWrite) shown() bool {
	return w.cur.PriceCents != w.next.PriceCents || w.cur.Name != w.next.Name || w.cur.SKU != w.next.SKU ||
		!slices.Equal(w.cur.Options, w.next.Options)
}

func (w variantWrite) changed() bool { return w.shown() || w.cur.Stock != w.next.Stock }

// writeVariant applies p to variant id's row, locked, and returns it
// before and after; the product's totals and tags are afterVariants'.
func (c *Catalog) writeVariant(ctx context.Context, tx *sql.Tx, id int64, p VariantPatch) (variantWrite, error) {
	cur, err := readVariant(ctx, tx, id, c.forUpdate())
	if err != nil {
		return variantWrite{}, err
	}
	w, err := patchVariant(cur, p)
	if err != nil || !w.changed() {
		return w, err
	}
	opts, err := json.Marshal(w.next.Options)
	if err != nil {
		return w, fmt.Errorf("catalog: options: %w", err)
	}
	next := w.next
	_, err = tx.ExecContext(ctx, `UPDATE variants SET sku = $1, name = $2, options = $3, price_cents = $4, stock = $5
		WHERE id = $6`, next.SKU, next.Name, string(opts), next.PriceCents, next.Stock, id)
	if store.IsUniqueViolation(err) {
		return w, errSKUTaken(next.SKU)
	}
	if err != nil {
		return w, fmt.Errorf("catalog: update variant %d: %w", id, err)
	}
	return w, nil
}

// patchVariant applies p to cur, a variant as read under its lock, and
// checks the result; it writes nothing.
func patchVariant(cur Variant, p VariantPatch) (variantWrite, error) {
	next := cur
	set(&next.PriceCents, p.PriceCents)
	set(&next.Stock, p.Stock)
	if p.Stock != nil && p.StockSince != nil {
		// Sold since the caller read StockSince: those units are gone
		// from the new level too, not sold twice nor given back.
		next.Stock = max(0, *p.Stock-(*p.StockSince-cur.Stock))
	}
	set(&next.Name, p.Name)
	set(&next.SKU, p.SKU)
	if p.Options != nil {
		next.Options = nonNil(*p.Options)
	}
	nv := NewVariant{SKU: next.SKU, Name: next.Name, Options: next.Options, PriceCents: next.PriceCents,
		Currency: next.Currency, Stock: next.Stock}
	if err := nv.normalize("The variant", next.Currency); err != nil {
		return variantWrite{}, unprefix(err)
	}
	if err := checkOptions(next.Options); err != nil {
		return variantWrite{}, err
	}
	return variantWrite{cur: cur, next: next}, nil
}

func errSKUTaken(sku string) error { return fault.Field("sku", "The SKU %q is already used.", sku) }

// afterVariants brings product productID's totals and listing up to date
// after writes to its variants, once for all of them, and purges its page
// when one shows or an availability class changed.
func (c *Catalog) afterVariants(ctx context.Context, tx *sql.Tx, productID int64, writes ...variantWrite) error {
	tot, err := c.retotal(ctx, tx, productID, relisted(writes))
	if err != nil {
		return err
	}
	var tags cachehdr.Tags
	if pageStale(writes, tot) {
		tags.Add(cachehdr.ProductTag(productID))
	}
	return c.purge(ctx, tx, tags.List())
}

// relisted reports whether writes change what the product's listing rows
// hold: a price (the product's price follows) or options (its facet values
// in product_options).
func relisted(writes []variantWrite) bool {
	for _, w := range writes {
		if w.cur.PriceCents != w.next.PriceCents || !slices.Equal(w.cur.Options, w.next.Options) {
			return true
		}
	}
	return false
}

// pageStale reports whether a product's page (and every listing showing
// it) is stale after writes to its variants that moved its totals from
// t.stockBefore to t.stock: a drafted or archived product shows nowhere; an
// active one when a write shows on the page or an availability class, of a
// variant or of the product, changed.
func pageStale(writes []variantWrite, t totals) bool {
	if !t.active {
		return false
	}
	for _, w := range writes {
		if w.shown() || AvailabilityOf(w.cur.Stock) != AvailabilityOf(w.next.Stock) {
			return true
		}
	}
	return AvailabilityOf(t.stockBefore) != AvailabilityOf(t.stock)
}

// AddVariant adds a variant to product productID, after its others. The
// currency defaults to the product's and must match it.
func (c *Catalog) AddVariant(ctx context.Context, productID int64, v NewVariant) (Variant, error) {
	var out Variant
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = c.addVariant(ctx, tx, productID, v)
		return err
	})
	return out, err
}

func (c *Catalog) addVariant(ctx context.Context, tx *sql.Tx, productID int64, v NewVariant) (Variant, error) {
	if err := checkOptions(v.Options); err != nil {
		return Variant{}, err
	}
	var out Variant
	err := func() error {
		var name, currency string
		var count, last int
		err := tx.QueryRowContext(ctx, `SELECT p.name, p.currency, count(v.id), COALESCE(max(v.position), -1)
			FROM products p LEFT JOIN variants v ON v.product_id = p.id WHERE p.id = $1 GROUP BY p.id, p.name, p.currency`,
			productID).Scan(&name, &currency, &count, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoProduct(productID)
		}
		if err != nil {
			return fmt.Errorf("catalog: product %d: %w", productID, err)
		}
		if count >= MaxVariants {
			return fault.Field("variants", "A product has at most %d variants.", MaxVariants)
		}
		if v.Name == "" {
			v.Name = name
		}
		if err := v.normalize("The variant", currency); err != nil {
			return unprefix(err)
		}
		opts, err := json.Marshal(nonNil(v.Options))
		if err != nil {
			return fmt.Errorf("catalog: options: %w", err)
		}
		out = Variant{ProductID: productID, SKU: v.SKU, Name: v.Name, Options: nonNil(v.Options),
			PriceCents: v.PriceCents, Currency: v.Currency, Stock: v.Stock}
		err = tx.QueryRowContext(ctx, `INSERT INTO variants (product_id, sku, name, options, price_cents, currency, stock, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			productID, v.SKU, v.Name, string(opts), v.PriceCents, v.Currency, v.Stock, last+1).Scan(&out.ID)
		if store.IsUniqueViolation(err) {
			return errSKUTaken(v.SKU)
		}
		if err != nil {
			return fmt.Errorf("catalog: insert variant %q: %w", v.SKU, err)
		}
		tot, err := c.retotal(ctx, tx, productID, true)
		if err != nil {
			return err
		}
		var tags cachehdr.Tags
		if tot.active {
			tags.Add(cachehdr.ProductTag(productID))
		}
		return c.purge(ctx, tx, tags.List())
	}()
	return out, err
}

// totals is a product's denormalized stock around a variant change.
type totals struct {
	active             bool
	stockBefore, stock int
}

// retotal recomputes the product's price (lowest variant price) and stock
// (sum over variants) after its variants changed in tx, and its listing
// and option rows when a price or options may have changed (relist).
//
// The product row is locked first (by the first UPDATE), and the sums are
// read by a second statement: on PostgreSQL (READ COMMITTED) that statement
// sees every variant change committed by whoever held the row before, and a
// checkout still in flight applies its own stock delta after us (it locks
// variants, then products, the same order as here, so neither deadlocks).
func (c *Catalog) retotal(ctx context.Context, tx *sql.Tx, productID int64, listed bool) (totals, error) {
	var t totals
	var status string
	err := tx.QueryRowContext(ctx, `UPDATE products SET updated_at = $1 WHERE id = $2 RETURNING status, stock`,
		c.now(), productID).Scan(&status, &t.stockBefore)
	if err != nil {
		return t, fmt.Errorf("catalog: product %d: %w", productID, err)
	}
	t.active = status == "active"
	err = tx.QueryRowContext(ctx, `UPDATE products SET
		price_cents = (SELECT COALESCE(min(price_cents), 0) FROM variants WHERE product_id = $1),
		stock = (SELECT COALESCE(sum(stock), 0) FROM variants WHERE product_id = $1)
		WHERE id = $1 RETURNING stock`, productID).Scan(&t.stock)
	if err != nil {
		return t, fmt.Errorf("catalog: totals of product %d: %w", productID, err)
	}
	if listed {
		_, err = relist(ctx, tx, c.db.Dialect, productID)
	}
	return t, err
}

func readVariant(ctx context.Context, tx *sql.Tx, id int64, lock string) (Variant, error) {
	v, err := scanVariant(tx.QueryRowContext(ctx, `SELECT `+variantColumns+` FROM variants WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errNoVariant(id)
	}
	if err != nil {
		return v, fmt.Errorf("catalog: variant %d: %w", id, err)
	}
	return v, nil
}

// variantColumns are the columns scanVariant reads, in its order.
const variantColumns = `id, product_id, sku, name, options, price_cents, currency, stock`

// scanVariant reads one row of variantColumns.
func scanVariant(row interface{ Scan(...any) error }) (Variant, error) {
	var v Variant
	var opts string
	if err := row.Scan(&v.ID, &v.ProductID, &v.SKU, &v.Name, &opts, &v.PriceCents, &v.Currency, &v.Stock); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
		return v, fmt.Errorf("options of variant %d: %w", v.ID, err)
	}
	v.Options = nonNil(v.Options)
	return v, nil
}

func errNoVariant(id int64) error {
	return fault.New(fault.NotFound, "There is no variant with id %d.", id)
}

// unprefix names a field of NewVariant.normalize as the variant's own
// ("price_cents", not "variants.price_cents"): the variant endpoints take
// one variant, not a product's list.
func unprefix(err error) error {
	var f *fault.Error
	if errors.As(err, &f) && strings.HasPrefix(f.Field, "variants.") {
		return fault.Field(strings.TrimPrefix(f.Field, "variants."), "%s", f.Message)
	}
	return err
}
