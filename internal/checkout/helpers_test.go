package checkout_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/store"
)

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is a store with a checkout over db; its clock moves one
// millisecond per reading, so events and carts have an order.
type fixture struct {
	db    *store.DB
	svc   *checkout.Service
	carts *cart.Service
	cat   *catalog.Catalog
	tick  atomic.Int64
	skus  atomic.Int64
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	f := &fixture{db: db, cat: catalog.New(db)}
	clock := func() time.Time { return base.Add(time.Duration(f.tick.Add(1)) * time.Millisecond) }
	f.svc = &checkout.Service{DB: db, Now: clock, StoreName: "Agora Test", BaseURL: "https://shop.test"}
	f.carts = &cart.Service{DB: db, Now: clock}
	return f
}

// variant is a buyable variant of the fixture.
type variant struct {
	ID, ProductID int64
	SKU           string
}

// product creates an active product with one variant per price/stock pair.
func (f *fixture) product(t testing.TB, price int64, stocks ...int) []variant {
	t.Helper()
	n := f.skus.Add(1)
	np := catalog.NewProduct{Name: fmt.Sprintf("Product %d", n)}
	for i, s := range stocks {
		np.Variants = append(np.Variants, catalog.NewVariant{SKU: fmt.Sprintf("SKU-%d-%d", n, i), Name: fmt.Sprintf("V%d", i), PriceCents: price, Stock: s})
	}
	p, err := f.cat.CreateProduct(context.Background(), np)
	if err != nil {
		t.Fatal(err)
	}
	var out []variant
	for _, v := range p.Variants {
		out = append(out, variant{ID: v.ID, ProductID: p.ID, SKU: v.SKU})
	}
	return out
}

// guest inserts a session row (as the session package would) and returns
// the owner of its cart.
func (f *fixture) guest(t testing.TB) cart.Owner {
	t.Helper()
	var b [32]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	if _, err := f.db.Write.Exec(`INSERT INTO sessions (id_hash, customer_id, created_at, expires_at) VALUES ($1, NULL, $2, $3)`,
		h, base, base.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return cart.Owner{SessionHash: h}
}

func (f *fixture) customer(t testing.TB, email string) int64 {
	t.Helper()
	var id int64
	if err := f.db.Write.QueryRow(`INSERT INTO customers (email, name, password_hash, created_at) VALUES ($1, 'Kim', 'x', $2) RETURNING id`,
		email, base).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// fill adds qty of each variant to o's cart.
func (f *fixture) fill(t testing.TB, o cart.Owner, qty int, vs ...variant) {
	t.Helper()
	for _, v := range vs {
		if _, err := f.carts.Add(context.Background(), o, v.ID, qty); err != nil {
			t.Fatalf("add %s: %v", v.SKU, err)
		}
	}
}

func address() customer.Address {
	return customer.Address{Name: "Kim Lee", Line1: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}
}

// request is a valid checkout of o's cart by a guest.
func request(o cart.Owner, key string) checkout.Request {
	return checkout.Request{
		Email: "kim@example.com", ShippingAddress: address(), IdempotencyKey: key,
		Cart: o, CustomerID: o.CustomerID, SessionHash: o.SessionHash,
	}
}

func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (f *fixture) stock(t testing.TB, variantID int64) int {
	t.Helper()
	var n int
	if err := f.db.Write.QueryRow(`SELECT stock FROM variants WHERE id = $1`, variantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) productStock(t testing.TB, productID int64) int {
	t.Helper()
	var n int
	if err := f.db.Write.QueryRow(`SELECT stock FROM products WHERE id = $1`, productID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Write.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sold is the units of a variant in all orders.
func (f *fixture) sold(t testing.TB, variantID int64) int {
	return f.count(t, `SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE variant_id = $1`, variantID)
}

// purges returns the tags of the purge log after seq, one string per entry.
func (f *fixture) purges(t testing.TB, after int) []string {
	t.Helper()
	rows, err := f.db.Write.Query(`SELECT tags FROM purge_log WHERE seq > $1 ORDER BY seq`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (f *fixture) purgeHead(t testing.TB) int {
	return f.count(t, `SELECT COALESCE(MAX(seq), 0) FROM purge_log`)
}

// stale puts qty of v into o's guest cart without the cart's stock check,
// as if it had been added while there was stock.
func (f *fixture) stale(t testing.TB, o cart.Owner, qty int, v variant) {
	t.Helper()
	if _, err := f.db.Write.Exec(`INSERT INTO carts (session_hash, updated_at) VALUES ($1, $2) ON CONFLICT (session_hash) DO NOTHING`,
		o.SessionHash, base); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Write.Exec(`INSERT INTO cart_items (cart_id, variant_id, quantity, added_at)
		SELECT id, $2, $3, $4 FROM carts WHERE session_hash = $1`, o.SessionHash, v.ID, qty, base.Add(time.Duration(f.tick.Add(1))*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
}
