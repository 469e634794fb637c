package catalog

import (
	"cmp"
	"context"
	"fmt"

	"agora/internal/store"
)

// DefaultRankWindow is how many matches a search ranks by relevance. Ranking
// is bm25 (SQLite) or ts_rank (PostgreSQL) computed per matching row: over
// every match of a common word (34,000 at 300,000 products) it cost 137 ms
// a page loaded on SQLite and 1.5 s on PostgreSQL (issue 15). A thousand
// matches is more than anyone pages through (CountCap shows "1,000+").
const DefaultRankWindow = 1000

// countMatches counts the matches of search listing l up to limit, and
// finds the edge of its rank window: the id of the first match past the
// window, newest first, or 0 when every match fits in it. Both full-text
// indexes walk matches in id order and stop at the limit, ranking nothing,
// so one walk answers both. window is the ids of the window's matches
// (newest first; nil when edge is 0).
func (c *Catalog) countMatches(ctx context.Context, l listSQL, limit int) (n int, edge int64, window []int64, err error) {
	id := c.matchID()
	rows, err := c.db.Query(ctx, "SELECT "+id+" FROM "+l.from+" WHERE "+l.where()+
		" ORDER BY "+id+" DESC LIMIT "+fmt.Sprint(max(limit, c.rankWindow()+1)), l.args...)
	if err != nil {
		return 0, 0, nil, err
	}
	ids, err := scanIDs(rows, "count search")
	if len(ids) > c.rankWindow() {
		edge, window = ids[c.rankWindow()], ids[:c.rankWindow()]
	}
	return min(len(ids), limit), edge, window, err
}

func (c *Catalog) rankWindow() int { return cmp.Or(c.RankWindow, DefaultRankWindow) }

// rankedPage returns one page of a search in relevance order, ranking a
// bounded window: the RankWindow newest matches of the listing (by product
// id, ids above edge), by relevance; older matches follow, newest first.
// The window is a property of the listing (query, category, filters), not
// of the page, so pages never overlap or skip where the two tiers meet.
// Edge 0 ranks every match, as a listing smaller than the window needs.
func (c *Catalog) rankedPage(ctx context.Context, q ListQuery, edge int64, window []int64, offset int) ([]Summary, error) {
	id := c.matchID()
	top, order, _ := c.listClauses(q, "")
	switch {
	case edge != 0 && c.db.Dialect == store.Postgres:
		// The window's ids, as the walk found them: PostgreSQL reads those
		// 1,000 rows by primary key, where "id > edge" would scan and test
		// every product above the edge again (8,800 rows, 85% of them not
		// matches, for a word in one product of ten).
		top.conds = append(top.conds, store.Postgres.InIDs(id, len(top.args)+1))
		top.args = append(top.args, store.Postgres.IDsArg(window))
	case edge != 0:
		// FTS5 applies a rowid range itself, in its own index.
		top.conds = append(top.conds, id+" > "+top.arg(edge))
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
	rest.conds = append(rest.conds, id+" <= "+rest.arg(edge))
	more, err := c.querySummaries(ctx, pageSQL(rest, id+" DESC", q.PerPage-len(items), max(0, offset-ranked)), rest.args...)
	return append(items, more...), err
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
