package cart_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	db  *store.DB
	svc *cart.Service
	// variants by SKU
	v map[string]int64
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	var tick atomic.Int64 // a clock that moves: lines are ordered by when they were added
	clock := func() time.Time { return now.Add(time.Duration(tick.Add(1)) * time.Second) }
	f := &fixture{db: db, svc: &cart.Service{DB: db, Now: clock}, v: map[string]int64{}}
	cat := catalog.New(db)
	for _, p := range []catalog.NewProduct{
		{Name: "Linen Shirt", Variants: []catalog.NewVariant{
			{SKU: "SHIRT-S", Name: "S", Options: []catalog.Option{{Name: "size", Value: "S"}}, PriceCents: 3900, Stock: 3},
			{SKU: "SHIRT-L", Name: "L", PriceCents: 4100, Stock: 10},
		}},
		{Name: "Pan", Variants: []catalog.NewVariant{{SKU: "PAN", Name: "Default", PriceCents: 2900, Stock: 0}}},
		{Name: "Secret", Status: "draft", Variants: []catalog.NewVariant{{SKU: "SECRET", Name: "Default", PriceCents: 100, Stock: 5}}},
	} {
		pr, err := cat.CreateProduct(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range pr.Variants {
			f.v[v.SKU] = v.ID
		}
	}
	return f
}

// guest inserts a session row the way the session package does and returns
// its owner.
func (f *fixture) guest(t *testing.T) cart.Owner {
	t.Helper()
	var b [32]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	if _, err := f.db.Write.Exec(`INSERT INTO sessions (id_hash, customer_id, created_at, expires_at) VALUES ($1, NULL, $2, $3)`,
		h, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return cart.Owner{SessionHash: h}
}

func (f *fixture) customer(t *testing.T, email string) int64 {
	t.Helper()
	var id int64
	if err := f.db.Write.QueryRow(`INSERT INTO customers (email, name, password_hash, created_at) VALUES ($1, 'Kim', 'x', $2) RETURNING id`,
		email, now).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.Write.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// quantities maps SKU → quantity of a cart.
func quantities(c cart.Cart) map[string]int {
	m := map[string]int{}
	for _, l := range c.Lines {
		m[l.SKU] = l.Quantity
	}
	return m
}

func TestAddSetRemove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.guest(t)

		c, err := f.svc.Get(ctx, o)
		if err != nil || len(c.Lines) != 0 || c.Count != 0 {
			t.Fatalf("fresh cart = %+v, %v; want empty", c, err)
		}
		if _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Add(ctx, o, f.v["SHIRT-S"], 1); err != nil {
			t.Fatal(err)
		}
		c, err = f.svc.Add(ctx, o, f.v["SHIRT-L"], 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := quantities(c); got["SHIRT-L"] != 3 || got["SHIRT-S"] != 1 || len(got) != 2 {
			t.Fatalf("quantities = %v", got)
		}
		if c.Lines[0].SKU != "SHIRT-L" {
			t.Errorf("first line = %s; lines keep the order they were added in", c.Lines[0].SKU)
		}
		if c.Count != 4 || c.SubtotalCents != 3*4100+3900 || c.Currency != "EUR" {
			t.Errorf("count %d subtotal %d %s", c.Count, c.SubtotalCents, c.Currency)
		}
		if l := c.Lines[1]; l.ProductSlug != "linen-shirt" || l.ProductName != "Linen Shirt" || len(l.Options) != 1 || l.Stock != 3 || l.LineTotalCents != 3900 {
			t.Errorf("line = %+v", l)
		}

		c, err = f.svc.Set(ctx, o, f.v["SHIRT-L"], 1)
		if err != nil || quantities(c)["SHIRT-L"] != 1 {
			t.Fatalf("set 1: %v %v", quantities(c), err)
		}
		c, err = f.svc.Set(ctx, o, f.v["SHIRT-L"], 0)
		if err != nil || len(c.Lines) != 1 {
			t.Fatalf("set 0 should remove: %v %v", quantities(c), err)
		}
		c, err = f.svc.Remove(ctx, o, f.v["SHIRT-S"])
		if err != nil || len(c.Lines) != 0 {
			t.Fatalf("remove: %v %v", quantities(c), err)
		}
		if _, err := f.svc.Remove(ctx, o, f.v["SHIRT-S"]); err != nil {
			t.Errorf("removing twice: %v", err)
		}
		if n, err := f.svc.Count(ctx, o); err != nil || n != 0 {
			t.Errorf("count = %d, %v", n, err)
		}
	})
}

func TestPricesComeFromTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.guest(t)
		if _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 2); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.Exec(`UPDATE variants SET price_cents = 5000 WHERE id = $1`, f.v["SHIRT-L"]); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Get(ctx, o)
		if err != nil || c.SubtotalCents != 10000 {
			t.Fatalf("subtotal after a price change = %d, %v; want 10000", c.SubtotalCents, err)
		}
		// A product taken off sale leaves the cart.
		if _, err := db.Write.Exec(`UPDATE products SET status = 'archived'`); err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.Count(ctx, o); err != nil || n != 0 {
			t.Errorf("count with an archived product = %d, %v; want 0", n, err)
		}
	})
}

func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.guest(t)
		if _, err := f.svc.Add(ctx, o, f.v["SHIRT-S"], 2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 10); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.Exec(`UPDATE variants SET stock = 500 WHERE id = $1`, f.v["SHIRT-L"]); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			do      func() error
			code    fault.Code
			field   string
			message string
		}{
			{"add zero", func() error { _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 0); return err }, fault.Invalid, "quantity", ""},
			{"add negative", func() error { _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], -1); return err }, fault.Invalid, "quantity", ""},
			{"add huge", func() error { _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 1000); return err }, fault.Invalid, "quantity", ""},
			{"set negative", func() error { _, err := f.svc.Set(ctx, o, f.v["SHIRT-S"], -1); return err }, fault.Invalid, "quantity", ""},
			{"unknown variant", func() error { _, err := f.svc.Add(ctx, o, 999999, 1); return err }, fault.Invalid, "variant_id", ""},
			{"draft product", func() error { _, err := f.svc.Add(ctx, o, f.v["SECRET"], 1); return err }, fault.Invalid, "variant_id", ""},
			{"more than the stock", func() error { _, err := f.svc.Add(ctx, o, f.v["SHIRT-S"], 2); return err }, fault.OutOfStock, "quantity", "Only 3 left of SHIRT-S."},
			{"set above the stock", func() error { _, err := f.svc.Set(ctx, o, f.v["SHIRT-S"], 4); return err }, fault.OutOfStock, "quantity", "Only 3 left of SHIRT-S."},
			{"sold out", func() error { _, err := f.svc.Add(ctx, o, f.v["PAN"], 1); return err }, fault.OutOfStock, "quantity", "PAN is out of stock."},
			{"over MaxQuantity in total", func() error { _, err := f.svc.Add(ctx, o, f.v["SHIRT-L"], 90); return err }, fault.Invalid, "quantity", ""},
			{"non-numeric", func() error { _, err := cart.ParseQuantity("two"); return err }, fault.Invalid, "quantity", ""},
			{"non-integer", func() error { _, err := cart.ParseQuantity("1.5"); return err }, fault.Invalid, "quantity", ""},
			{"empty", func() error { _, err := cart.ParseQuantity(""); return err }, fault.Invalid, "quantity", ""},
			{"enormous", func() error { _, err := cart.ParseQuantity("99999999999999999999"); return err }, fault.Invalid, "quantity", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, _ := f.svc.Get(ctx, o)
				carts := f.count(t, "carts")
				err := tt.do()
				if fault.CodeOf(err) != tt.code || fault.FieldOf(err) != tt.field {
					t.Fatalf("err = %v (code %s, field %q); want code %s field %q", err, fault.CodeOf(err), fault.FieldOf(err), tt.code, tt.field)
				}
				if tt.message != "" && fault.MessageOf(err) != tt.message {
					t.Errorf("message = %q; want %q", fault.MessageOf(err), tt.message)
				}
				after, _ := f.svc.Get(ctx, o)
				if before.Count != after.Count || f.count(t, "carts") != carts {
					t.Errorf("cart changed from %v to %v", quantities(before), quantities(after))
				}
			})
		}
		if n, err := cart.ParseQuantity(" 7 "); err != nil || n != 7 {
			t.Errorf("ParseQuantity(\" 7 \") = %d, %v", n, err)
		}
	})
}

func TestEndedSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		o := cart.Owner{SessionHash: "not-a-session"}
		_, err := f.svc.Add(context.Background(), o, f.v["SHIRT-L"], 1)
		if fault.CodeOf(err) != fault.NotFound {
			t.Fatalf("add with an unknown session: %v; want not_found", err)
		}
		if n := f.count(t, "carts"); n != 0 {
			t.Errorf("%d carts written", n)
		}
	})
}

func TestMergeOnLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		kim := f.customer(t, "kim@example.com")
		mine := cart.Owner{CustomerID: kim}
		if _, err := f.svc.Add(ctx, mine, f.v["SHIRT-S"], 2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Add(ctx, mine, f.v["SHIRT-L"], 9); err != nil {
			t.Fatal(err)
		}
		g := f.guest(t)
		if _, err := f.svc.Add(ctx, g, f.v["SHIRT-S"], 2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Add(ctx, g, f.v["SHIRT-L"], 1); err != nil {
			t.Fatal(err)
		}
		// SHIRT-S: 2+2 is capped to the 3 in stock; SHIRT-L: 9+1 fits the 10.
		err := db.InTx(ctx, func(tx *sql.Tx) error { return cart.MergeTx(ctx, tx, g.SessionHash, kim, now) })
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Get(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		if got := quantities(c); got["SHIRT-S"] != 3 || got["SHIRT-L"] != 10 {
			t.Errorf("merged = %v; want SHIRT-S 3 (capped by stock), SHIRT-L 10", got)
		}
		if gc, _ := f.svc.Get(ctx, g); len(gc.Lines) != 0 {
			t.Errorf("guest cart still has %v", quantities(gc))
		}
		if n := f.count(t, "carts"); n != 1 {
			t.Errorf("%d carts; the guest cart should be gone", n)
		}

		// A customer without a cart gets the guest's.
		ana := f.customer(t, "ana@example.com")
		g2 := f.guest(t)
		if _, err := f.svc.Add(ctx, g2, f.v["SHIRT-L"], 4); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return cart.MergeTx(ctx, tx, g2.SessionHash, ana, now) }); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.svc.Count(ctx, cart.Owner{CustomerID: ana}); n != 4 {
			t.Errorf("ana's cart has %d units; want 4", n)
		}
	})
}

// TestConcurrentAddsToOneCart: two tabs (here ten) adding at once lose no
// units, and the stock cap holds.
func TestConcurrentAddsToOneCart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.guest(t)
		var wg sync.WaitGroup
		errs := make([]error, 12)
		for i := range errs {
			wg.Go(func() { _, errs[i] = f.svc.Add(ctx, o, f.v["SHIRT-L"], 1) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if fault.CodeOf(err) == fault.OutOfStock {
				refused++
			} else if err != nil {
				t.Errorf("add: %v", err)
			}
		}
		if n, _ := f.svc.Count(ctx, o); n != 10 || refused != 2 {
			t.Errorf("%d units in the cart, %d adds refused; want 10 (the stock) and 2", n, refused)
		}
	})
}
