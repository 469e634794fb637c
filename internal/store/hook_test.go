package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestCommitHookSharesTheTransaction: what the hook writes commits with
// the write it rides on, and a failing hook undoes that write too.
func TestCommitHookSharesTheTransaction(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.OpenEmpty(t, d)
			if _, err := db.Write.ExecContext(ctx, `CREATE TABLE t (v TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			insert := func(ctx context.Context, v string) error {
				return db.InTx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, v)
					return err
				})
			}
			marked := store.WithCommitHook(ctx, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ('mark')`)
				return err
			})
			if err := insert(marked, "kept"); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("hook failed")
			failing := store.WithCommitHook(ctx, func(context.Context, *sql.Tx) error { return boom })
			if err := insert(failing, "undone"); !errors.Is(err, boom) {
				t.Fatalf("insert with a failing hook = %v, want the hook's error", err)
			}
			var got []string
			rows, err := db.Write.QueryContext(ctx, `SELECT v FROM t ORDER BY v`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var v string
				rows.Scan(&v)
				got = append(got, v)
			}
			if len(got) != 2 || got[0] != "kept" || got[1] != "mark" {
				t.Fatalf("rows = %v, want [kept mark]: the hook's row commits with the write, and a failed hook rolls both back", got)
			}
		})
	}
}
