package purge_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func appendTx(ctx context.Context, db *store.DB, tags []string, soft bool) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		return purge.Append(ctx, tx, db.Dialect, tags, soft, t0)
	})
}

func TestSince(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, e := range []struct {
			tags []string
			soft bool
		}{
			{[]string{"product-1"}, false},
			{nil, false}, // nothing to purge: no entry
			{[]string{"category-2", "home"}, true},
			{[]string{"categories"}, false},
		} {
			if err := appendTx(ctx, db, e.tags, e.soft); err != nil {
				t.Fatal(err)
			}
		}
		all, err := purge.Since(ctx, db, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Fatalf("got %d entries, want 3: %+v", len(all), all)
		}
		want := [][]string{{"product-1"}, {"category-2", "home"}, {"categories"}}
		for i, e := range all {
			if !slices.Equal(e.Tags, want[i]) || e.Soft != (i == 1) || !e.CreatedAt.Equal(t0) {
				t.Errorf("entry %d = %+v, want tags %q soft %v at %v", i, e, want[i], i == 1, t0)
			}
			if i > 0 && e.Seq <= all[i-1].Seq {
				t.Errorf("seq %d after %d", e.Seq, all[i-1].Seq)
			}
		}
		cases := []struct {
			name         string
			after        int64
			limit        int
			wantFirstSeq int64
			wantN        int
		}{
			{"from the start", 0, 100, all[0].Seq, 3},
			{"after the first", all[0].Seq, 100, all[1].Seq, 2},
			{"limited", 0, 2, all[0].Seq, 2},
			{"at the head", all[2].Seq, 100, 0, 0},
			{"past the head", all[2].Seq + 10, 100, 0, 0},
		}
		for _, c := range cases {
			got, err := purge.Since(ctx, db, c.after, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.wantN || c.wantN > 0 && got[0].Seq != c.wantFirstSeq {
				t.Errorf("%s: got %+v, want %d entries from seq %d", c.name, got, c.wantN, c.wantFirstSeq)
			}
		}
	})
}

// TestFollowerSeesEveryEntryUnderConcurrentAppends is what an edge does:
// it follows the log with Since(last seen) while many writers append. If
// seq order were not commit order, the follower would move past an entry
// that commits late and miss it for good.
func TestFollowerSeesEveryEntryUnderConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := appendTx(ctx, db, []string{fmt.Sprintf("product-%d", w*each+i)}, false); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		var seen []purge.Entry
		var last int64
		for finished := false; ; {
			select {
			case <-done:
				finished = true
			default:
			}
			got, err := purge.Since(ctx, db, last, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range got {
				seen = append(seen, e)
				last = e.Seq
			}
			if finished && len(got) == 0 {
				break
			}
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all, err := purge.Since(ctx, db, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != writers*each {
			t.Fatalf("%d entries in the log, want %d", len(all), writers*each)
		}
		if len(seen) != len(all) {
			t.Fatalf("the follower saw %d of %d entries: seq order is not commit order", len(seen), len(all))
		}
		for i := range all {
			if seen[i].Seq != all[i].Seq {
				t.Fatalf("entry %d: follower saw seq %d, log has %d", i, seen[i].Seq, all[i].Seq)
			}
		}
	})
}

// TestAppendWaitsForAnEarlierAppendToCommit pins the mechanism on
// PostgreSQL: a second append blocks on the advisory lock until the first
// transaction commits, so its seq is both larger and visible later.
func TestAppendWaitsForAnEarlierAppendToCommit(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()

	first, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if err := purge.Append(ctx, first, db.Dialect, []string{"product-1"}, false, t0); err != nil {
		t.Fatal(err)
	}

	pid := make(chan int)
	second := make(chan error, 1)
	go func() {
		second <- db.InTx(ctx, func(tx *sql.Tx) error {
			var p int
			if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&p); err != nil {
				close(pid)
				return err
			}
			pid <- p
			return purge.Append(ctx, tx, db.Dialect, []string{"product-2"}, false, t0)
		})
	}()
	p, ok := <-pid
	if !ok {
		t.Fatal(<-second)
	}
	// Wait until the second transaction is seen queued on the lock.
	for {
		var waiting bool
		err := db.Read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE pid = $1 AND locktype = 'advisory' AND NOT granted)`, p).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-second:
			t.Fatalf("the second append finished (%v) while the first was uncommitted", err)
		default:
		}
	}
	if got, err := purge.Since(ctx, db, 0, 10); err != nil || len(got) != 0 {
		t.Fatalf("before any commit: %+v, %v", got, err)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	got, err := purge.Since(ctx, db, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Tags[0] != "product-1" || got[1].Tags[0] != "product-2" || got[0].Seq >= got[1].Seq {
		t.Fatalf("log = %+v, want product-1 then product-2", got)
	}
}

// TestReadIsOneSnapshot reads while a writer appends and trims in each
// transaction, as the app's cleanup and edits do. Every window must be one
// state of the log: its entries lie between its bounds. Read as two
// snapshots, the bounds came from before a commit and the entries from
// after it, so a follower took entries past a gap for the next ones and
// never learned of the trimmed ones (issue 5).
func TestReadIsOneSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := appendTx(ctx, db, []string{"first"}, false); err != nil {
			t.Fatal(err)
		}
		const rounds = 200
		done := make(chan error, 1)
		go func() {
			for i := range rounds {
				err := db.InTx(ctx, func(tx *sql.Tx) error {
					for _, tag := range []string{fmt.Sprintf("a-%d", i), fmt.Sprintf("b-%d", i)} {
						if err := purge.Append(ctx, tx, db.Dialect, []string{tag}, false, t0); err != nil {
							return err
						}
					}
					_, err := tx.ExecContext(ctx, "DELETE FROM purge_log WHERE seq < (SELECT MAX(seq) FROM purge_log)")
					return err
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for reads := 0; ; reads++ {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%d consistent reads", reads)
				return
			default:
			}
			w, err := purge.Read(ctx, db, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range w.Entries {
				if e.Seq < w.Oldest || e.Seq > w.Head {
					t.Fatalf("read %d: entry %d outside the bounds [%d, %d] read with it", reads, e.Seq, w.Oldest, w.Head)
				}
			}
		}
	})
}
