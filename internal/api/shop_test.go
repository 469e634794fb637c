package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/session"
	"agora/internal/store"
)

// shop is the API with every shopping service over one database, served on
// loopback, with a small catalog.
type shop struct {
	t   *testing.T
	db  *store.DB
	srv *httptest.Server
	h   *api.Handler
	// variants by SKU: BS-S (stock 10), BS-M (stock 0), RS-1 (stock 3)
	v map[string]int64
}

func newShop(t *testing.T, db *store.DB) *shop {
	t.Helper()
	ctx := context.Background()
	cat := catalog.New(db)
	s := &shop{t: t, db: db, v: map[string]int64{}}
	for _, np := range []catalog.NewProduct{
		{Name: "Blue Shirt", Variants: []catalog.NewVariant{
			{SKU: "BS-S", Name: "Small", PriceCents: 2500, Stock: 10},
			{SKU: "BS-M", Name: "Medium", PriceCents: 2700, Stock: 0},
		}},
		{Name: "Red Shirt", Variants: []catalog.NewVariant{{SKU: "RS-1", Name: "One size", PriceCents: 1500, Stock: 3}}},
	} {
		p, err := cat.CreateProduct(ctx, np)
		if err != nil {
			t.Fatalf("create product %s: %v", np.Name, err)
		}
		for _, v := range p.Variants {
			s.v[v.SKU] = v.ID
		}
	}
	s.h = &api.Handler{Catalog: cat, Log: slog.New(slog.DiscardHandler),
		Sessions:  &session.Manager{DB: db},
		Customers: &customer.Service{DB: db, PublicURL: "https://shop.example"},
		Carts:     &cart.Service{DB: db},
		Checkout:  &checkout.Service{DB: db},
	}
	mux := http.NewServeMux()
	s.h.Register(mux)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// shopper is one HTTP client with its own cookie jar, as a browser or a
// headless client would be.
type shopper struct {
	s      *shop
	client *http.Client
}

func (s *shop) shopper() *shopper {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &shopper{s: s, client: &http.Client{Jar: jar, Transport: s.srv.Client().Transport}}
}

// call sends a request; body is sent as is when it is a string or []byte,
// else encoded as JSON, and with Content-Type application/json unless hdr
// says otherwise. hdr is name, value pairs.
func (c *shopper) call(t *testing.T, method, path string, body any, hdr ...string) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Every shopping answer, errors included, is about one visitor.
	if cc := res.Header.Get("Cache-Control"); cc != cachehdr.Private {
		t.Errorf("%s %s: Cache-Control %q, want %q", method, path, cc, cachehdr.Private)
	}
	if k := res.Header.Get(cachehdr.HeaderTags); k != "" {
		t.Errorf("%s %s: Surrogate-Key %q on a private answer", method, path, k)
	}
	return response{res.StatusCode, res.Header, b}
}

// sessionCookie is the shopper's current session cookie value, or "".
func (c *shopper) sessionCookie() string {
	u, _ := url.Parse(c.s.srv.URL)
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == session.CookieName {
			return ck.Value
		}
	}
	return ""
}

type sessionOut struct {
	Customer *struct {
		ID          int64
		Email, Name string
	}
	CartCount int `json:"cart_count"`
}

type cartOut struct {
	Lines []struct {
		VariantID int64 `json:"variant_id"`
		SKU       string
		Quantity  int
	}
	Count         int
	SubtotalCents int64 `json:"subtotal_cents"`
	Currency      string
}

func (c cartOut) quantities() map[string]int {
	m := map[string]int{}
	for _, l := range c.Lines {
		m[l.SKU] = l.Quantity
	}
	return m
}

type placedOut struct {
	OrderNumber string `json:"order_number"`
	TotalCents  int64  `json:"total_cents"`
	Currency    string
	Status      string
}

func expect(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
}

// address is a valid shipping address, as the checkout body carries it.
func address() map[string]string {
	return map[string]string{"name": "Kim Meyer", "line1": "Hauptstraße 1", "line2": "", "city": "Berlin",
		"postal_code": "10115", "country": "DE", "phone": ""}
}

func checkoutBody(email string) map[string]any {
	return map[string]any{"email": email, "shipping_address": address(),
		"shipping_method": "standard", "payment_method": "manual", "discount_code": ""}
}

func (s *shop) stock(t *testing.T, sku string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT stock FROM variants WHERE sku = $1`, sku).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// register creates a customer through the service, as another visit would.
func (s *shop) register(t *testing.T, email string) {
	t.Helper()
	if _, err := s.h.Customers.Register(context.Background(), email, "Kim Meyer", "correct horse battery"); err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
}

func (c *shopper) login(t *testing.T, email string) response {
	t.Helper()
	return c.call(t, "POST", "/api/v1/session", map[string]string{"email": email, "password": "correct horse battery"})
}

func (c *shopper) add(t *testing.T, variantID int64, qty int) response {
	t.Helper()
	return c.call(t, "POST", "/api/v1/cart/items", map[string]any{"variant_id": variantID, "quantity": qty})
}

func (c *shopper) checkout(t *testing.T, key string, body any) response {
	t.Helper()
	return c.call(t, "POST", "/api/v1/checkout", body, api.IdempotencyHeader, key)
}

// placeOrder fills a cart and checks out as c, returning the order number.
func (c *shopper) placeOrder(t *testing.T, variantID int64, key string) string {
	t.Helper()
	expect(t, "add to cart", c.add(t, variantID, 1), 200)
	r := c.checkout(t, key, checkoutBody("kim@example.com"))
	expect(t, "checkout", r, 201)
	var p placedOut
	r.decode(t, &p)
	return p.OrderNumber
}

func (c *shopper) errorOf(t *testing.T, r response) errorJSON {
	t.Helper()
	var e errorJSON
	r.decode(t, &e)
	return e
}

func ordersCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fingerprint sums up what bad input must never change.
func (s *shop) fingerprint(t *testing.T) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT COUNT(*) FROM sessions`, `SELECT COUNT(*) FROM customers`, `SELECT COUNT(*) FROM carts`,
		`SELECT COALESCE(SUM(quantity), 0) FROM cart_items`, `SELECT COUNT(*) FROM orders`,
		`SELECT COALESCE(SUM(stock), 0) FROM variants`, `SELECT COALESCE(SUM(used_count), 0) FROM discounts`,
		`SELECT COUNT(*) FROM email_outbox`, `SELECT COUNT(*) FROM password_resets`,
	} {
		var n int64
		if err := s.db.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, " ")
}

// getPublic fetches a public (cacheable) address, without the private
// header checks of call.
func (c *shopper) getPublic(t *testing.T, path string) response {
	t.Helper()
	res, err := c.client.Get(c.s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
