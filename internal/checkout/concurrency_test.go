package checkout_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// placeAll places reqs concurrently, all released at once, and returns the
// results in order.
func placeAll(f *fixture, reqs []checkout.Request) ([]*checkout.Order, []bool, []error) {
	orders := make([]*checkout.Order, len(reqs))
	created := make([]bool, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			<-start
			orders[i], created[i], errs[i] = f.svc.Place(context.Background(), r)
		})
	}
	close(start)
	wg.Wait()
	return orders, created, errs
}

// TestConcurrentCheckoutsNeverOversell: 200 shoppers, one unit each, of a
// variant with 10 in stock.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.product(t, 1500, 10)[0]
		reqs := make([]checkout.Request, 200)
		for i := range reqs {
			o := f.guest(t)
			f.fill(t, o, 1, v)
			reqs[i] = request(o, newKey())
		}
		_, _, errs := placeAll(f, reqs)
		placed := 0
		for _, err := range errs {
			var oos *checkout.OutOfStockError
			switch {
			case err == nil:
				placed++
			case errors.As(err, &oos):
				if fault.CodeOf(err) != fault.OutOfStock || len(oos.Lines) != 1 || oos.Lines[0].SKU != v.SKU ||
					oos.Lines[0].Available != 0 || oos.Lines[0].Requested != 1 {
					t.Errorf("out of stock error = %v %+v", err, oos.Lines)
				}
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if placed != 10 {
			t.Errorf("%d orders placed; want exactly 10", placed)
		}
		if s := f.stock(t, v.ID); s != 0 {
			t.Errorf("stock = %d; want 0", s)
		}
		if s := f.productStock(t, v.ProductID); s != 0 {
			t.Errorf("product stock = %d; want 0", s)
		}
		if n := f.count(t, `SELECT count(*) FROM orders`); n != 10 {
			t.Errorf("%d order rows", n)
		}
		if n := f.count(t, `SELECT count(*) FROM email_outbox`); n != 10 {
			t.Errorf("%d confirmation mails queued", n)
		}
		// The losers keep their carts.
		if n := f.count(t, `SELECT count(*) FROM cart_items`); n != 190 {
			t.Errorf("%d cart lines left; want 190", n)
		}
	})
}

// TestSameKeyConcurrently: a client retrying one checkout 20 times at once
// gets one order, named in every answer.
func TestSameKeyConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.product(t, 1500, 1)[0] // the replays must not run out of stock either
		o := f.guest(t)
		f.fill(t, o, 1, v)
		r := request(o, newKey())
		reqs := make([]checkout.Request, 20)
		for i := range reqs {
			reqs[i] = r
		}
		orders, created, errs := placeAll(f, reqs)
		first := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if orders[i].Number != orders[0].Number {
				t.Errorf("request %d got order %s; request 0 got %s", i, orders[i].Number, orders[0].Number)
			}
			if created[i] {
				first++
			}
		}
		if first != 1 {
			t.Errorf("%d requests say they created the order; want 1", first)
		}
		if n := f.count(t, `SELECT count(*) FROM orders`); n != 1 {
			t.Errorf("%d orders; want 1", n)
		}
		if s := f.stock(t, v.ID); s != 0 {
			t.Errorf("stock = %d; want 0", s)
		}
	})
}

// TestDiscountLimitConcurrently: a code limited to 5 uses, 50 checkouts.
func TestDiscountLimitConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v := f.product(t, 1500, 1000)[0]
		limit := 5
		if _, err := f.svc.CreateDiscount(context.Background(), checkout.Discount{Code: "FIVE", Kind: checkout.DiscountFixed, Value: 500, UsageLimit: &limit, Active: true}); err != nil {
			t.Fatal(err)
		}
		reqs := make([]checkout.Request, 50)
		for i := range reqs {
			o := f.guest(t)
			f.fill(t, o, 1, v)
			reqs[i] = request(o, newKey())
			reqs[i].DiscountCode = "five"
		}
		orders, _, errs := placeAll(f, reqs)
		used := 0
		for i, err := range errs {
			switch {
			case err == nil && orders[i].DiscountCode == "FIVE" && orders[i].DiscountCents == 500:
				used++
			case err == nil:
				t.Errorf("order without the discount: %+v", orders[i])
			case fault.FieldOf(err) != "discount_code" || fault.CodeOf(err) != fault.Conflict:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if used != 5 {
			t.Errorf("%d orders used the code; want 5", used)
		}
		if n := f.count(t, `SELECT count(*) FROM orders`); n != 5 {
			t.Errorf("%d orders; the refused checkouts must write nothing", n)
		}
		if s := f.stock(t, v.ID); s != 995 {
			t.Errorf("stock = %d; want 995", s)
		}
		if n := f.count(t, `SELECT used_count FROM discounts`); n != 5 {
			t.Errorf("used_count = %d", n)
		}
	})
}

// TestSharedStockNoDeadlock: carts holding the same variants in different
// orders, placed concurrently, round after round, until the stock runs out
// in the last rounds.
// A deadlock would hang (SQLite) or fail with a deadlock error (PostgreSQL).
func TestSharedStockNoDeadlock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := f.product(t, 1000, 1000, 900) // two products, variants interleaved
		b := f.product(t, 2000, 1100)
		vs := []variant{b[0], a[1], a[0]}
		initial := map[int64]int{a[0].ID: 1000, a[1].ID: 900, b[0].ID: 1100}
		rng := rand.New(rand.NewPCG(1, 2))
		rounds, perRound := 30, 20
		if testing.Short() {
			rounds = 5
		}
		var placed, short int
		for range rounds {
			reqs := make([]checkout.Request, perRound)
			for i := range reqs {
				o := f.guest(t)
				order := rng.Perm(3)
				for _, k := range order {
					f.stale(t, o, 1+rng.IntN(3), vs[k])
				}
				reqs[i] = request(o, newKey())
			}
			_, _, errs := placeAll(f, reqs)
			for _, err := range errs {
				var oos *checkout.OutOfStockError
				switch {
				case err == nil:
					placed++
				case errors.As(err, &oos):
					short++
				default:
					t.Fatalf("unexpected error (a deadlock?): %v", err)
				}
			}
		}
		for id, init := range initial {
			now, sold := f.stock(t, id), f.sold(t, id)
			if now < 0 || now+sold != init {
				t.Errorf("variant %d: stock %d + sold %d != initial %d", id, now, sold, init)
			}
		}
		for _, p := range []int64{a[0].ProductID, b[0].ProductID} {
			var sum int
			for _, v := range append(a, b...) {
				if v.ProductID == p {
					sum += f.stock(t, v.ID)
				}
			}
			if ps := f.productStock(t, p); ps != sum {
				t.Errorf("product %d stock %d; its variants hold %d", p, ps, sum)
			}
		}
		if placed == 0 || short == 0 {
			t.Errorf("placed %d, out of stock %d: the test should see both", placed, short)
		}
		t.Logf("%d orders placed, %d out of stock", placed, short)
	})
}

// TestConcurrentCancelRestocksOnce: cancel and refund raced by many staff
// tabs put the stock back exactly once.
func TestConcurrentCancelRestocksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 1000, 10)[0]
		for _, paid := range []bool{false, true} {
			o := f.guest(t)
			f.fill(t, o, 3, v)
			order, _, err := f.svc.Place(ctx, request(o, newKey()))
			if err != nil {
				t.Fatal(err)
			}
			if paid {
				if _, err := f.svc.SetStatus(ctx, order.Number, checkout.StatusPaid, ""); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex // protects ok
			ok := 0
			start := make(chan struct{})
			for i := range 16 {
				to := checkout.StatusCancelled
				if paid && i%2 == 1 {
					to = checkout.StatusRefunded
				}
				wg.Go(func() {
					<-start
					_, err := f.svc.SetStatus(ctx, order.Number, to, "")
					if err != nil && fault.CodeOf(err) != fault.Conflict {
						t.Errorf("SetStatus: %v", err)
					}
					if err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				})
			}
			close(start)
			wg.Wait()
			if ok != 1 {
				t.Errorf("paid=%v: %d status changes succeeded; want 1", paid, ok)
			}
			if s := f.stock(t, v.ID); s != 10 {
				t.Errorf("paid=%v: stock = %d; want 10 (restocked exactly once)", paid, s)
			}
		}
	})
}
