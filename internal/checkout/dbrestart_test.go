package checkout_test

import (
	"context"
	"testing"

	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestCheckoutAcrossDatabaseRestart: a checkout that fails because the
// database is down is "unavailable" (503, try again), not an internal
// error, and places nothing; its retry with the same Idempotency-Key once
// the database is back places the order once; and a retry of an order
// that did commit, after a restart, returns that order rather than a
// second one (issue 10).
func TestCheckoutAcrossDatabaseRestart(t *testing.T) {
	t.Parallel()
	cluster := storetest.NewCluster(t)
	ctx := context.Background()
	db, err := store.Open(ctx, cluster.CreateDatabase(t, "shop"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db)
	v := f.product(t, 1500, 10)[0]
	shopper := f.guest(t)
	f.fill(t, shopper, 1, v)
	key := newKey()

	cluster.Stop(t)
	if _, _, err := f.svc.Place(ctx, request(shopper, key)); fault.CodeOf(err) != fault.Unavailable {
		t.Fatalf("Place with the database down: %v (%s), want unavailable", err, fault.CodeOf(err))
	}
	cluster.Start(t)
	first, created, err := f.svc.Place(ctx, request(shopper, key))
	if err != nil || !created {
		t.Fatalf("the retry once the database is back: created %v, %v; want a new order", created, err)
	}

	// The order committed; say its answer was lost in a restart.
	cluster.Restart(t)
	again, created, err := f.svc.Place(ctx, request(shopper, key))
	if err != nil || created || again.Number != first.Number {
		t.Fatalf("the retry after a restart: order %v created %v, %v; want order %s again", again, created, err, first.Number)
	}
	if n := f.count(t, `SELECT count(*) FROM orders WHERE idempotency_key = $1`, key); n != 1 {
		t.Errorf("%d orders with the key, want 1", n)
	}
	if s := f.stock(t, v.ID); s != 9 {
		t.Errorf("stock %d, want 9: one unit sold once", s)
	}
}
