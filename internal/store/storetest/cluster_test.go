package storetest

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestClusterRestart: a private cluster answers, a fast restart ends its
// sessions, and it answers again afterwards, on the same address.
func TestClusterRestart(t *testing.T) {
	t.Parallel()
	c := NewCluster(t)
	u := c.CreateDatabase(t, "shop")
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&before); err != nil {
		t.Fatal(err)
	}

	c.Restart(t)

	if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(new(int)); err == nil {
		t.Error("a session from before the restart still answers: the restart did not terminate it")
	}
	var after int
	if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&after); err != nil {
		t.Fatalf("after the restart: %v\n%s", err, c.Log())
	}
}
