package catalog

import (
	"context"
	"fmt"
	"strconv"
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

// CountCap is where listings stop counting: past it a listing says "1,000+"
// rather than count 30,000 rows for every page (issue 15). A page deeper
// than the cap counts up to its own end, so the pager always knows whether
// a next page exists.
const CountCap = 1000

// listSQL is a listing's FROM and WHERE, with its arguments.
type listSQL struct {
	from  string
	conds []string
	args  []any
}

func (l *listSQL) arg(v any) string {
	l.args = append(l.args, v)
	return fmt.Sprintf("$%d", len(l.args))
}

func (l *listSQL) where() string { return strings.Join(l.conds, " AND ") }

// List returns one page of active products: of a category (its subcategories
// included), matching a search, or both, narrowed by filters, in the
// requested order.
func (c *Catalog) List(ctx context.Context, q ListQuery) (ListResult, error) {
	if err := q.normalize(); err != nil {
		return ListResult{}, err
	}
	res := ListResult{Page: q.Page, PerPage: q.PerPage}
	l, order, ok := c.listClauses(q, "")
	if !ok {
		return res, nil // only punctuation: nothing can match
	}
	offset := (q.Page - 1) * q.PerPage
	bound := max(CountCap, offset+q.PerPage)
	ranked := q.Query != "" && q.Sort == SortRelevance
	plain := l.from == categoryFrom && len(l.conds) == 1 // a category, unfiltered
	var n int
	var edge int64
	var window []int64
	var err error
	switch {
	case ranked:
		n, edge, window, err = c.countMatches(ctx, l, bound+1)
	case plain:
		// The listing's size is stored: its availability counts in
		// category_facets add up to its rows of category_listing (every
		// listed product is in stock or not). Two rows, exact, where
		// counting up to the cap read 1,001 index entries (a sequential
		// scan on PostgreSQL) joined to their products.
		err = c.db.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM category_facets
			WHERE category_id = $1 AND facet = 'availability'`, q.CategoryID).Scan(&n)
	default:
		err = c.db.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+l.from+" WHERE "+l.where()+
			" LIMIT "+strconv.Itoa(bound+1)+") t", l.args...).Scan(&n)
	}
	if err != nil {
		return res, fmt.Errorf("catalog: count listing: %w", err)
	}
	if plain {
		// Exact at no cost (above): a category shows its size, and its
		// pager reaches the last page.
		res.Total = n
	} else {
		res.Total, res.MoreThanTotal = min(n, bound), n > bound
	}
	if res.Total == 0 || offset >= res.Total {
		return res, nil
	}
	if ranked {
		res.Items, err = c.rankedPage(ctx, q, edge, window, offset)
		return res, err
	}
	var query string
	if plain {
		// A category's plain listing: page through the listing table's
		// sort index alone, then read the page's 24 products, so a deep
		// OFFSET skips index entries rather than joined rows.
		query = "SELECT " + summaryColumns + " FROM (SELECT l.product_id, " + sortKey("l", q.Sort) + " FROM category_listing l WHERE " + l.where() +
			" ORDER BY " + order + " LIMIT " + l.arg(q.PerPage) + " OFFSET " + l.arg(offset) +
			") l JOIN products p ON p.id = l.product_id ORDER BY " + order
	} else {
		if q.Query != "" && res.MoreThanTotal && offset+q.PerPage <= CountCap && c.db.Dialect == store.SQLite {
			q.walkSort = true
			l, order, _ = c.listClauses(q, "")
		}
		query = "SELECT " + summaryColumns + " FROM " + l.from + " WHERE " + l.where() +
			" ORDER BY " + order + " LIMIT " + l.arg(q.PerPage) + " OFFSET " + l.arg(offset)
	}
	items, err := c.querySummaries(ctx, query, l.args...)
	if err != nil {
		return res, err
	}
	res.Items = items
	return res, nil
}

// sortIndex names the index of products (migration 0001) that walks each
// non-relevance sort, active products first.
var sortIndex = map[Sort]string{
	SortPriceAsc:  "products_price",
	SortPriceDesc: "products_price",
	SortNewest:    "products_new",
	SortName:      "products_name",
}

const categoryFrom = "category_listing l JOIN products p ON p.id = l.product_id"

// listClauses builds the FROM, WHERE and ORDER BY of q, its filters applied
// except the facet named by except (see Filters.where). ok is false when the
// search has no words.
func (c *Catalog) listClauses(q ListQuery, except string) (l listSQL, order string, ok bool) {
	groups := q.alts
	if groups == nil {
		groups = wordGroups(searchTerms(q.Query))
	}
	switch {
	case q.Query != "" && len(groups) == 0:
		return l, "", false
	case len(groups) > 0:
		order = c.searchClauses(&l, q, groups)
	case q.CategoryID != 0:
		l.from = categoryFrom
		l.conds = []string{"l.category_id = " + l.arg(q.CategoryID)}
		order = listingOrder("l", q.Sort)
	default:
		l.from = "products p"
		l.conds = []string{"p.status = 'active'"}
		order = listingOrder("p", q.Sort)
	}
	if q.after != 0 {
		l.conds = append(l.conds, c.matchID()+" > "+l.arg(q.after))
	}
	l.conds = append(l.conds, q.Filters.where(except, l.arg)...)
	return l, order, true
}

// sortKey is the column of t that sort s orders by, before the id.
func sortKey(t string, s Sort) string {
	switch s {
	case SortPriceAsc, SortPriceDesc:
		return t + ".price_cents"
	case SortNewest:
		return t + ".created_at"
	case SortName:
		return t + ".name_key"
	default:
		return t + ".rank"
	}
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
func (c *Catalog) searchClauses(l *listSQL, q ListQuery, groups [][]string) (order string) {
	expr := matchExpr(c.db.Dialect, groups)
	if c.db.Dialect == store.Postgres {
		match := l.arg(expr)
		l.from = "products p"
		l.conds = []string{"p.search @@ to_tsquery('simple', agora_fold(" + match + "))", "p.status = 'active'"}
		order = "ts_rank(p.search, to_tsquery('simple', agora_fold(" + match + "))) DESC, p.id"
	} else {
		// CROSS JOIN keeps the full-text index outermost: driven from an
		// index on products, SQLite would run one MATCH per product.
		l.from = "product_search s CROSS JOIN products p ON p.id = s.rowid"
		order = "bm25(product_search, 10.0, 4.0, 1.0), p.id"
		match := l.arg(expr)
		l.conds = []string{"product_search MATCH " + match, "p.status = 'active'"}
		if q.walkSort {
			// Walk products in the sort's index, keeping those in the set
			// of matches (built once, ids only): a common word's page
			// stops after a few hundred index entries, where joining and
			// sorting its 34,000 matches took 80 ms (issue 15).
			l.from = "products p INDEXED BY " + sortIndex[q.Sort]
			l.conds[0] = "p.id IN (SELECT rowid FROM product_search WHERE product_search MATCH " + match + ")"
		}
	}
	if q.CategoryID != 0 {
		l.conds = append(l.conds, "EXISTS (SELECT 1 FROM category_listing l WHERE l.product_id = p.id AND l.category_id = "+l.arg(q.CategoryID)+")")
	}
	if q.Sort != SortRelevance {
		order = listingOrder("p", q.Sort)
	}
	return order
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
