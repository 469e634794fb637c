package store_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestListsTravelInOneParameter: ids and rows passed as one parameter
// (InIDs, JSONRows) reach the statement as they were, on both dialects:
// text with quotes, backslashes, JSON and non-ASCII letters, numbers past
// 2^53, and empty lists.
func TestListsTravelInOneParameter(t *testing.T) {
	type row struct {
		ID   int64  `json:"id"`
		Text string `json:"text"`
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := db.Dialect
		want := []row{{1, `plain`}, {1 << 60, `"quoted" \ back`}, {3, `[{"name":"Size","value":"L"}]`}, {4, "Größe ✓"}}
		arg, err := store.RowsArg(want)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(ctx, `SELECT n.id, n.text FROM `+d.JSONRows(1, "n", "id bigint", "text text")+
			` WHERE `+d.InIDs("n.id", 2)+` ORDER BY n.id`, arg, d.IDsArg([]int64{1, 3, 4, 1 << 60}))
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ID, &r.Text); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		rows.Close()
		slices.SortFunc(want, func(a, b row) int { return cmp.Compare(a.ID, b.ID) })
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM purge_log WHERE `+d.InIDs("seq", 1), d.IDsArg(nil)).Scan(&n); err != nil || n != 0 {
			t.Errorf("an empty list matched %d rows (%v)", n, err)
		}
	})
}

// TestPlanForValues: a query marked PlanForValues runs on both dialects
// with its arguments as given (PostgreSQL plans it for them unprepared;
// SQLite ignores the mark).
func TestPlanForValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for range 3 { // past any per-connection caching of the text
			rows, err := db.Query(context.Background(), `SELECT count(*) FROM (SELECT 1 AS n UNION ALL SELECT 2) t WHERE t.n >= $1`,
				store.PlanForValues, 2)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for rows.Next() {
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
			}
			if err := rows.Err(); err != nil || n != 1 {
				t.Fatalf("count = %d, %v; want 1", n, err)
			}
		}
	})
}
