package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/store"
)

const summaryColumns = `p.id, p.slug, p.name, p.price_cents, p.currency, p.stock, p.image_key, p.created_at`

// normalize validates q and fills defaults. PerPage above MaxPerPage is
// clamped rather than refused: asking for "everything" gets the most we give.
func (q *ListQuery) normalize() error {
	if q.Sort == "" {
		q.Sort = SortRelevance
	}
	valid := false
	for _, s := range Sorts {
		valid = valid || s == q.Sort
	}
	if !valid {
		names := make([]string, len(Sorts))
		for i, s := range Sorts {
			names[i] = string(s)
		}
		return fault.Field("sort", "Unknown sort %q: use one of %s.", truncate(string(q.Sort), 40), strings.Join(names, ", "))
	}
	switch {
	case q.Page < 0:
		return fault.Field("page", "Page must be 1 or more.")
	case q.Page == 0:
		q.Page = 1
	case q.Page > MaxPage:
		return fault.Field("page", "Page must be at most %d; narrow the listing with a search or a category instead.", MaxPage)
	}
	switch {
	case q.PerPage < 0:
		return fault.Field("per_page", "per_page must be between 1 and %d.", MaxPerPage)
	case q.PerPage == 0:
		q.PerPage = DefaultPerPage
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	if !utf8.ValidString(q.Query) {
		return fault.Field("q", "The search must be text (valid UTF-8).")
	}
	if utf8.RuneCountInString(q.Query) > MaxQueryLen {
		return fault.Field("q", "The search is too long: use at most %d characters.", MaxQueryLen)
	}
	return nil
}

// List returns one page of active products: of a category (its subcategories
// included), matching a search, or both, in the requested order.
func (c *Catalog) List(ctx context.Context, q ListQuery) (ListResult, error) {
	if err := q.normalize(); err != nil {
		return ListResult{}, err
	}
	res := ListResult{Page: q.Page, PerPage: q.PerPage}
	var from, where, order string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	terms := searchTerms(q.Query)
	switch {
	case q.Query != "" && len(terms) == 0:
		return res, nil // only punctuation: nothing can match
	case len(terms) > 0:
		from, where, order = c.searchClauses(q, terms, arg)
	case q.CategoryID != 0:
		from = "category_listing l JOIN products p ON p.id = l.product_id"
		where = "l.category_id = " + arg(q.CategoryID)
		order = listingOrder("l", q.Sort)
	default:
		from = "products p"
		where = "p.status = 'active'"
		order = listingOrder("p", q.Sort)
	}

	if err := c.db.QueryRow(ctx, "SELECT count(*) FROM "+from+" WHERE "+where, args...).Scan(&res.Total); err != nil {
		return res, fmt.Errorf("catalog: count listing: %w", err)
	}
	offset := (q.Page - 1) * q.PerPage
	if res.Total == 0 || offset >= res.Total {
		return res, nil
	}
	query := "SELECT " + summaryColumns + " FROM " + from + " WHERE " + where +
		" ORDER BY " + order + " LIMIT " + arg(q.PerPage) + " OFFSET " + arg(offset)
	items, err := c.querySummaries(ctx, query, args...)
	if err != nil {
		return res, err
	}
	res.Items = items
	return res, nil
}

// listingOrder is the ORDER BY of a sort over a table with the sort keys
// rank, price_cents, created_at, name_key and product id (t is "l" for
// category_listing, "p" for products). Every order ends on the id so pages
// never overlap or skip.
func listingOrder(t string, s Sort) string {
	id := t + ".product_id"
	if t == "p" {
		id = "p.id"
	}
	switch s {
	case SortPriceAsc:
		return t + ".price_cents, " + id
	case SortPriceDesc:
		return t + ".price_cents DESC, " + id + " DESC"
	case SortNewest:
		return t + ".created_at DESC, " + id + " DESC"
	case SortName:
		return t + ".name_key, " + id
	default:
		return t + ".rank, " + id
	}
}

// searchClauses builds a full-text search, optionally within a category.
// Relevance is bm25 on SQLite (name weighs most, then brand, then text) and
// ts_rank on PostgreSQL (weights A/B/C set in the tsvector).
func (c *Catalog) searchClauses(q ListQuery, terms []string, arg func(any) string) (from, where, order string) {
	match := arg(matchExpr(c.db.Dialect, terms))
	if c.db.Dialect == store.Postgres {
		from = "products p"
		where = "p.search @@ to_tsquery('simple', agora_fold(" + match + ")) AND p.status = 'active'"
		order = "ts_rank(p.search, to_tsquery('simple', agora_fold(" + match + "))) DESC, p.id"
	} else {
		from = "product_search s JOIN products p ON p.id = s.rowid"
		where = "product_search MATCH " + match + " AND p.status = 'active'"
		order = "bm25(product_search, 10.0, 4.0, 1.0), p.id"
	}
	if q.CategoryID != 0 {
		where += " AND EXISTS (SELECT 1 FROM category_listing l WHERE l.product_id = p.id AND l.category_id = " + arg(q.CategoryID) + ")"
	}
	if q.Sort != SortRelevance {
		order = listingOrder("p", q.Sort)
	}
	return from, where, order
}

func (c *Catalog) querySummaries(ctx context.Context, query string, args ...any) ([]Summary, error) {
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.ID, &s.Slug, &s.Name, &s.PriceCents, &s.Currency, &s.Stock, &s.ImageKey, &s.CreatedAt); err != nil {
			return nil, fmt.Errorf("catalog: listing: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Featured returns up to n featured active products in merchandising order.
func (c *Catalog) Featured(ctx context.Context, n int) ([]Summary, error) {
	return c.querySummaries(ctx, `SELECT `+summaryColumns+` FROM products p
		WHERE p.status = 'active' AND p.featured ORDER BY p.rank, p.id LIMIT $1`, n)
}

// Newest returns the n most recently added active products.
func (c *Catalog) Newest(ctx context.Context, n int) ([]Summary, error) {
	return c.querySummaries(ctx, `SELECT `+summaryColumns+` FROM products p
		WHERE p.status = 'active' ORDER BY p.created_at DESC, p.id DESC LIMIT $1`, n)
}

// CountProducts counts products of any status.
func (c *Catalog) CountProducts(ctx context.Context) (int, error) {
	var n int
	if err := c.db.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: count products: %w", err)
	}
	return n, nil
}

// SitemapCount counts the products a sitemap lists (active ones).
func (c *Catalog) SitemapCount(ctx context.Context) (int, error) {
	var n int
	if err := c.db.QueryRow(ctx, `SELECT count(*) FROM products WHERE status = 'active'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: count products: %w", err)
	}
	return n, nil
}

// SitemapProducts returns a slice of active products by id, for one sitemap chunk.
func (c *Catalog) SitemapProducts(ctx context.Context, offset, limit int) ([]SitemapEntry, error) {
	rows, err := c.db.Query(ctx, `SELECT slug, updated_at FROM products
		WHERE status = 'active' ORDER BY id LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("catalog: sitemap: %w", err)
	}
	defer rows.Close()
	var out []SitemapEntry
	for rows.Next() {
		var e SitemapEntry
		if err := rows.Scan(&e.Slug, &e.UpdatedAt); err != nil {
			return nil, fmt.Errorf("catalog: sitemap: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
