package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"agora/internal/cachehdr"
	"agora/internal/purge"
	"agora/internal/store"
)

// Every writer appends to the purge log, in its own transaction, exactly the
// tags of the pages its change makes stale (DESIGN.md "What pages carry"):
//
//   - product-{id}: the product's page, and every listing showing it;
//   - category-{id}: a category's listing (its order and membership) and
//     its list of subcategories;
//   - home: the home page's shelves, when their membership or order changes;
//   - categories: every page showing the tree or the top categories.
//
// A price edit is product-{id} only; a stock change is product-{id} only
// when the availability class of the variant or the product changes.
// Changes to drafts and archived products touch no page at all.

// HomeShelf is how many products each shelf of the home page shows
// (Featured and Newest). Writers compare the shelves before and after a
// change to know whether "home" is stale, so the storefront must use it.
const HomeShelf = 8

// forUpdate locks the rows a read-modify-write reads, on PostgreSQL (READ
// COMMITTED would let two staff edits interleave and lose one; it also
// keeps the purge decision, taken on what was read, true). SQLite runs one
// writer at a time, and has no FOR UPDATE.
func (c *Catalog) forUpdate() string {
	if c.db.Dialect == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// purge appends tags to the purge log in tx (hard purges: a stale price or
// availability must not be served again).
func (c *Catalog) purge(ctx context.Context, tx *sql.Tx, tags []string) error {
	if b, ok := ctx.Value(tagBatchKey{}).(*cachehdr.Tags); ok {
		for _, t := range tags {
			b.Add(t) // UpdateMany appends them once, deduplicated
		}
		return nil
	}
	return purge.Append(ctx, tx, c.db.Dialect, tags, false, c.now())
}

// tagBatchKey marks a context whose writes collect their tags (UpdateMany).
type tagBatchKey struct{}

// homeShelves returns the ids the home page shows, featured shelf first,
// in order, as Featured and Newest read them.
func homeShelves(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	featured, err := queryIDs(ctx, tx, "home", `SELECT id FROM products
		WHERE status = 'active' AND featured ORDER BY rank, id LIMIT $1`, HomeShelf)
	if err != nil {
		return nil, err
	}
	newest, err := queryIDs(ctx, tx, "home", `SELECT id FROM products
		WHERE status = 'active' ORDER BY created_at DESC, id DESC LIMIT $1`, HomeShelf)
	if err != nil {
		return nil, err
	}
	return append(append(featured, 0), newest...), nil // 0 separates the shelves
}

// addHomeTag adds "home" when the shelves differ from before.
func addHomeTag(ctx context.Context, tx *sql.Tx, before []int64, tags *cachehdr.Tags) error {
	after, err := homeShelves(ctx, tx)
	if err != nil {
		return err
	}
	if !slices.Equal(before, after) {
		tags.Add(cachehdr.TagHome)
	}
	return nil
}

// relist rewrites product id's rows of product_options (reoptionMany, the
// one way they are rebuilt) and of category_listing, and returns the
// categories it is listed under, in id order; every writer that changes
// what those rows are made of calls it in the same transaction.
func relist(ctx context.Context, tx *sql.Tx, d store.Dialect, id int64) ([]int64, error) {
	if err := reoptionMany(ctx, tx, d, []int64{id}); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, clearListingSQL, id); err != nil {
		return nil, fmt.Errorf("catalog: clear listing: %w", err)
	}
	rows, err := tx.QueryContext(ctx, fillListingSQL, id)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing: %w", err)
	}
	return sortedIDs(scanIDs(rows, "listing"))
}

// listedIn returns the categories product id is listed under, in id order.
func listedIn(ctx context.Context, tx *sql.Tx, id int64) ([]int64, error) {
	return queryIDs(ctx, tx, "listing", `SELECT category_id FROM category_listing WHERE product_id = $1 ORDER BY category_id`, id)
}

// addCategoryChanges adds category-{c} for each category in exactly one of
// before and after (sorted): listings the product joined or left.
func addCategoryChanges(tags *cachehdr.Tags, before, after []int64) {
	for _, c := range before {
		if _, found := slices.BinarySearch(after, c); !found {
			tags.Add(cachehdr.CategoryTag(c))
		}
	}
	for _, c := range after {
		if _, found := slices.BinarySearch(before, c); !found {
			tags.Add(cachehdr.CategoryTag(c))
		}
	}
}

func addCategoryTags(tags *cachehdr.Tags, ids []int64) {
	for _, id := range ids {
		tags.Add(cachehdr.CategoryTag(id))
	}
}

// queryIDs runs a query of one integer column in tx. what names the
// query in errors.
func queryIDs(ctx context.Context, tx *sql.Tx, what, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", what, err)
	}
	return scanIDs(rows, what)
}

// sortedIDs sorts the ids of scanIDs (RETURNING has no ORDER BY).
func sortedIDs(ids []int64, err error) ([]int64, error) {
	slices.Sort(ids)
	return ids, err
}

// scanIDs reads and closes rows of one integer column, in row order.
func scanIDs(rows *sql.Rows, what string) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", what, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", what, err)
	}
	return ids, nil
}
