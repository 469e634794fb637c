package purge_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestAppendEntriesAndTrim: the operator's multi-entry append and the
// periodic trim, both here since this package owns purge_log (they were
// SQL in package app).
func TestAppendEntriesAndTrim(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seq, err := purge.AppendEntries(ctx, db, [][]string{{"a"}, {"b", "c"}}, true, t0)
		if err != nil {
			t.Fatal(err)
		}
		es, err := purge.Since(ctx, db, 0, 10)
		if err != nil || len(es) != 2 || es[1].Seq != seq || !slices.Equal(es[1].Tags, []string{"b", "c"}) || !es[0].Soft {
			t.Fatalf("after AppendEntries: %+v (seq %d), %v", es, seq, err)
		}
		if _, err := purge.AppendEntries(ctx, db, [][]string{{"d"}, {}}, false, t0); err == nil {
			t.Error("AppendEntries took an entry without tags")
		}
		if _, err := purge.AppendEntries(ctx, db, nil, false, t0); err == nil {
			t.Error("AppendEntries took nothing to append")
		}
		if es, _ := purge.Since(ctx, db, 0, 10); len(es) != 2 {
			t.Errorf("a refused AppendEntries left %d entries, want the 2 before (all or nothing)", len(es))
		}
		// Two more, an hour later: four in all, two old.
		// (PostgreSQL's sequence may have moved on for the refused one.)
		head, err := purge.AppendEntries(ctx, db, [][]string{{"e"}, {"f"}}, false, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			before time.Time
			keep   int
			want   int64
		}{
			{t0, 0, 0},                    // nothing older than t0
			{t0.Add(time.Minute), 4, 0},   // the newest four stay
			{t0.Add(time.Minute), 3, 1},   // one old entry beyond the newest three
			{t0.Add(2 * time.Hour), 0, 2}, // everything old, but the head stays
		} {
			n, err := purge.Trim(ctx, db, c.before, c.keep)
			if err != nil || n != c.want {
				t.Errorf("Trim(%v, keep %d) = %d, %v; want %d", c.before, c.keep, n, err, c.want)
			}
		}
		w, err := purge.Read(ctx, db, 0, 10)
		if err != nil || w.Head != head || w.Oldest != head || len(w.Entries) != 1 {
			t.Errorf("after trimming: %+v, %v; want only the head, seq %d", w, err, head)
		}
	})
}
