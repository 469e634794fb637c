package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"agora/internal/catalog"
)

// stockMove is a change of one variant's stock by Qty units.
type stockMove struct {
	VariantID int64
	SKU, Name string
	Qty       int
}

// takeStock decrements the stock of every move, or of none: a move that
// does not fit makes it return *OutOfStockError (the caller rolls back).
// Moves must be sorted by variant id: every transaction then locks variant
// rows in the same order, then product rows in product-id order, so
// concurrent checkouts cannot deadlock (DESIGN.md "Data tier"). It returns
// the purge tags of products whose availability class changed.
func takeStock(ctx context.Context, tx *sql.Tx, moves []stockMove) ([]string, error) {
	var short []OutOfStockLine
	changes := make([]variantChange, 0, len(moves))
	for _, m := range moves {
		var c variantChange
		// On PostgreSQL (READ COMMITTED) a concurrent order holding the
		// row makes this wait, then re-evaluate stock >= $1 on the
		// committed row: no oversell, no serialization retries.
		err := tx.QueryRowContext(ctx, `UPDATE variants SET stock = stock - $1 WHERE id = $2 AND stock >= $1
			RETURNING product_id, stock`, m.Qty, m.VariantID).Scan(&c.productID, &c.after)
		if errors.Is(err, sql.ErrNoRows) {
			var avail int
			if err := tx.QueryRowContext(ctx, `SELECT stock FROM variants WHERE id = $1`, m.VariantID).Scan(&avail); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("checkout: stock of %s: %w", m.SKU, err)
			}
			short = append(short, OutOfStockLine{VariantID: m.VariantID, SKU: m.SKU, Name: m.Name, Requested: m.Qty, Available: avail})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("checkout: take stock of %s: %w", m.SKU, err)
		}
		c.before = c.after + m.Qty
		changes = append(changes, c)
	}
	if len(short) > 0 {
		return nil, newOutOfStock(short)
	}
	return applyProductStock(ctx, tx, changes)
}

// restock puts the units of moves back (cancel, refund). Variants deleted
// since the sale are skipped. Moves must be sorted by variant id.
func restock(ctx context.Context, tx *sql.Tx, moves []stockMove) ([]string, error) {
	changes := make([]variantChange, 0, len(moves))
	for _, m := range moves {
		var c variantChange
		err := tx.QueryRowContext(ctx, `UPDATE variants SET stock = stock + $1 WHERE id = $2 RETURNING product_id, stock`,
			m.Qty, m.VariantID).Scan(&c.productID, &c.after)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("checkout: restock %s: %w", m.SKU, err)
		}
		c.before = c.after - m.Qty
		changes = append(changes, c)
	}
	return applyProductStock(ctx, tx, changes)
}

// variantChange is one variant's stock before and after a move.
type variantChange struct {
	productID     int64
	before, after int
}

// applyProductStock keeps products.stock (the listing's total over
// variants) in step, in product-id order, and returns "product-{id}" for
// each product whose class changed for the product or any moved variant
// (catalog.AvailabilityOf): pages are purged on a class change, not on
// every sale.
func applyProductStock(ctx context.Context, tx *sql.Tx, changes []variantChange) ([]string, error) {
	delta := map[int64]int{}
	changed := map[int64]bool{}
	for _, c := range changes {
		delta[c.productID] += c.after - c.before
		if catalog.AvailabilityOf(c.before) != catalog.AvailabilityOf(c.after) {
			changed[c.productID] = true
		}
	}
	ids := make([]int64, 0, len(delta))
	for id := range delta {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var tags []string
	for _, id := range ids {
		var after int
		if err := tx.QueryRowContext(ctx, `UPDATE products SET stock = stock + $1 WHERE id = $2 RETURNING stock`,
			delta[id], id).Scan(&after); err != nil {
			return nil, fmt.Errorf("checkout: product stock of %d: %w", id, err)
		}
		if changed[id] || catalog.AvailabilityOf(after-delta[id]) != catalog.AvailabilityOf(after) {
			tags = append(tags, fmt.Sprintf("product-%d", id))
		}
	}
	return tags, nil
}

// stockPurgeSoft: a change of availability class purges the product's
// pages softly. The next shopper gets the old page once while one refresh
// goes to the app, and while the database is down the edge can still serve
// it; a page that says "in stock" a moment too long costs nothing, since
// checkout takes the stock under a lock and refuses what is gone.
const stockPurgeSoft = true
