package catalog

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"agora/internal/store"
)

// DefaultRankWindow is how many matches a search ranks by relevance. Ranking
// is bm25 (SQLite) or ts_rank (PostgreSQL) computed per matching row: over
// every match of a common word (30,000 at 300,000 products) it cost 137 ms
// a page loaded on SQLite and 1.5 s on PostgreSQL (issue 15). A thousand
// matches is more than anyone pages through (CountCap shows "1,000+").
const DefaultRankWindow = 1000

// rankedPage returns one page of a search in relevance order, ranking a
// bounded window: the RankWindow newest matches of the listing (by product
// id, the order both full-text indexes can walk without ranking), by
// relevance; older matches follow, newest first. The window is a property of
// the listing (query, category, filters), not of the page, so pages never
// overlap or skip where the two tiers meet. When a listing has fewer matches
// than the window, every match is ranked, as before.
func (c *Catalog) rankedPage(ctx context.Context, q ListQuery, offset int) ([]Summary, error) {
	window := cmp.Or(c.RankWindow, DefaultRankWindow)
	edge, err := c.rankEdge(ctx, q, window)
	if err != nil {
		return nil, err
	}
	id := c.matchID()
	top, order, _ := c.listClauses(q, "")
	if edge != 0 {
		top.conds = append(top.conds, id+" >= "+top.arg(edge))
	}
	items, err := c.querySummaries(ctx, pageSQL(top, order, q.PerPage, offset), top.args...)
	if err != nil || edge == 0 || len(items) == q.PerPage {
		return items, err
	}
	// The page reaches past the ranked window: count the window (at most
	// RankWindow rows) unless this page's rows already tell where it ends.
	ranked := offset + len(items)
	if len(items) == 0 {
		if err := c.db.QueryRow(ctx, "SELECT count(*) FROM "+top.from+" WHERE "+top.where(), top.args...).Scan(&ranked); err != nil {
			return nil, fmt.Errorf("catalog: count ranked window: %w", err)
		}
	}
	rest, _, _ := c.listClauses(q, "")
	rest.conds = append(rest.conds, id+" < "+rest.arg(edge))
	more, err := c.querySummaries(ctx, pageSQL(rest, id+" DESC", q.PerPage-len(items), max(0, offset-ranked)), rest.args...)
	return append(items, more...), err
}

// rankEdge returns the id of the window-th newest match of q's listing, or
// 0 when it has fewer matches. Both engines walk matches in id order and
// stop there, computing no rank.
func (c *Catalog) rankEdge(ctx context.Context, q ListQuery, window int) (int64, error) {
	l, _, _ := c.listClauses(q, "")
	id := c.matchID()
	var edge int64
	err := c.db.QueryRow(ctx, "SELECT "+id+" FROM "+l.from+" WHERE "+l.where()+
		" ORDER BY "+id+" DESC LIMIT 1 OFFSET "+l.arg(window-1), l.args...).Scan(&edge)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: rank window: %w", err)
	}
	return edge, nil
}

// matchID is the column a search's matches are walked by: the full-text
// table's rowid on SQLite, so that FTS5 applies the range and the order
// itself; the product id on PostgreSQL.
func (c *Catalog) matchID() string {
	if c.db.Dialect == store.Postgres {
		return "p.id"
	}
	return "s.rowid"
}

// pageSQL is the query of one page of l in order (limit and offset are
// the caller's integers, written inline).
func pageSQL(l listSQL, order string, limit, offset int) string {
	return "SELECT " + summaryColumns + " FROM " + l.from + " WHERE " + l.where() +
		" ORDER BY " + order + " LIMIT " + fmt.Sprint(limit) + " OFFSET " + fmt.Sprint(offset)
}
