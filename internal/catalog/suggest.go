package catalog

import (
	"context"
	"fmt"

	"agora/internal/store"
)

// MaxSuggestions bounds a suggest answer.
const MaxSuggestions = 8

// Suggestion is one as-you-type completion: a product whose name matches
// every word typed, the last as a prefix.
type Suggestion struct {
	Name, Slug string
}

// Suggest completes a search as it is typed (issue 15): up to n active
// products whose names hold every word of q as a prefix. They come in
// index order rather than ranked, so the cost is that of finding n
// matches, not of ranking all of them; it stays flat for "s" at 300,000
// products.
func (c *Catalog) Suggest(ctx context.Context, q string, n int) ([]Suggestion, error) {
	q0 := ListQuery{Query: q}
	if err := q0.normalize(); err != nil {
		return nil, err
	}
	terms := searchTerms(q)
	if len(terms) == 0 {
		return nil, nil
	}
	n = min(max(n, 1), MaxSuggestions)
	var query string
	match := matchExpr(c.db.Dialect, wordGroups(terms))
	args := []any{match, n}
	if c.db.Dialect == store.Postgres {
		// "shi:* & blu:*" over the names' own index (migration 0014),
		// planned for the prefix at hand: for a prefix most names have, a
		// plain scan finds 8 at once; for one few or none have, the
		// index. A prepared statement's generic plan, the same for every
		// prefix, read all 300,000 products for a prefix no name has.
		match = ""
		for i, t := range terms {
			if i > 0 {
				match += " & "
			}
			match += t + ":*"
		}
		query = `SELECT p.name, p.slug FROM products p
			WHERE to_tsvector('simple', agora_fold(p.name)) @@ to_tsquery('simple', agora_fold($1))
			AND p.status = 'active' LIMIT $2`
		args = []any{store.PlanForValues, match, n}
	} else {
		// product_names (migration 0012) indexes names alone, with prefix
		// doclists for one to three letters. CROSS JOIN keeps it
		// outermost: with a plain JOIN SQLite may walk products and run
		// one MATCH each, which for a prefix no name has ("tes") read all
		// 300,000 (5 s; issue 15).
		query = `SELECT p.name, p.slug FROM product_names s CROSS JOIN products p ON p.id = s.rowid
			WHERE product_names MATCH $1 AND p.status = 'active' LIMIT $2`
	}
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: suggest: %w", err)
	}
	defer rows.Close()
	var out []Suggestion
	for rows.Next() {
		var s Suggestion
		if err := rows.Scan(&s.Name, &s.Slug); err != nil {
			return nil, fmt.Errorf("catalog: suggest: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
