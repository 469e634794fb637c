package storefront_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/storefront"
)

// shop is a small catalog served over real HTTP.
type shop struct {
	srv  *httptest.Server
	mux  *http.ServeMux
	h    *storefront.Handler
	cats map[string]catalog.Category // by slug
	prod map[string]*catalog.Product // by slug
}

// xssName is a product name that tries to break out of every context it is
// printed in.
const xssName = `</script><script>alert(1)</script> <b>Lamp</b>`

// socks is how many products the "socks" category holds: enough for three
// pages of 10.
const socks = 25

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newShop(t testing.TB, db *store.DB) *shop {
	t.Helper()
	ctx := context.Background()
	cat := catalog.New(db)
	s := &shop{cats: map[string]catalog.Category{}, prod: map[string]*catalog.Product{}}
	addCat := func(nc catalog.NewCategory) catalog.Category {
		c, err := cat.CreateCategory(ctx, nc)
		if err != nil {
			t.Fatalf("create category %s: %v", nc.Name, err)
		}
		s.cats[c.Slug] = c
		return c
	}
	clothing := addCat(catalog.NewCategory{Slug: "clothing", Name: "Clothing", Description: "Things to wear.", Position: 1})
	shirts := addCat(catalog.NewCategory{ParentID: clothing.ID, Slug: "shirts", Name: "Shirts", Position: 1})
	home := addCat(catalog.NewCategory{Slug: "home", Name: "Home & Garden", Position: 2})
	sock := addCat(catalog.NewCategory{ParentID: clothing.ID, Slug: "socks", Name: "Socks", Position: 2})

	addProduct := func(np catalog.NewProduct) {
		p, err := cat.CreateProduct(ctx, np)
		if err != nil {
			t.Fatalf("create product %s: %v", np.Name, err)
		}
		s.prod[p.Slug] = p
	}
	addProduct(catalog.NewProduct{
		Slug: "oxford-shirt", Name: "Oxford Shirt", Brand: "Acme", Description: "A crisp cotton shirt.",
		CategoryIDs: []int64{shirts.ID}, CreatedAt: t0,
		Variants: []catalog.NewVariant{
			{SKU: "OX-S", Name: "Small", Options: []catalog.Option{{Name: "Size", Value: "S"}}, PriceCents: 4999, Stock: 20},
			{SKU: "OX-M", Name: "Medium", Options: []catalog.Option{{Name: "Size", Value: "M"}}, PriceCents: 5250, Stock: 3},
			{SKU: "OX-L", Name: "Large", Options: []catalog.Option{{Name: "Size", Value: "L"}}, PriceCents: 5250, Stock: 0},
		},
		Images: []catalog.Image{
			{Key: "ox/front.jpg", Alt: "Oxford shirt, front", Width: 800, Height: 1000},
			{Key: "ox/back.jpg", Alt: "Oxford shirt, back", Width: 800, Height: 1000},
		},
	})
	addProduct(catalog.NewProduct{
		Slug: "linen-shirt", Name: "Linen Shirt", Brand: "Acme", Featured: true,
		CategoryIDs: []int64{shirts.ID}, CreatedAt: t0.Add(time.Hour),
		Variants: []catalog.NewVariant{{SKU: "LIN-1", Name: "One size", PriceCents: 1250, Currency: "USD", Stock: 50}},
	})
	addProduct(catalog.NewProduct{
		Slug: "wool-sweater", Name: "Wool Sweater", CategoryIDs: []int64{clothing.ID}, CreatedAt: t0.Add(2 * time.Hour),
		Variants: []catalog.NewVariant{{SKU: "WS-1", Name: "One size", PriceCents: 8900, Currency: "GBP", Stock: 0}},
	})
	addProduct(catalog.NewProduct{
		Slug: "xss-lamp", Name: xssName, Description: `<img src=x onerror=alert(2)>`, CategoryIDs: []int64{home.ID}, CreatedAt: t0.Add(3 * time.Hour),
		Variants: []catalog.NewVariant{{SKU: "LAMP-1", Name: "Brass", PriceCents: 3000, Currency: "CHF", Stock: 4}},
	})
	var many []catalog.NewProduct
	for i := 1; i <= socks; i++ {
		many = append(many, catalog.NewProduct{
			Slug: fmt.Sprintf("sock-%02d", i), Name: fmt.Sprintf("Sock %02d", i), CategoryIDs: []int64{sock.ID},
			CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			// Prices run against names, so sorting by price reverses the
			// name order.
			Variants: []catalog.NewVariant{{SKU: fmt.Sprintf("SOCK-%02d", i), Name: "Pair", PriceCents: int64(1000 - i*10), Stock: 10}},
		})
	}
	if _, err := cat.CreateProducts(ctx, many); err != nil {
		t.Fatalf("create socks: %v", err)
	}

	h, err := storefront.New(cat)
	if err != nil {
		t.Fatalf("storefront.New: %v", err)
	}
	h.PublicURL = "https://shop.example"
	h.StoreName = "Test Shop"
	mux := http.NewServeMux()
	h.Register(mux)
	s.h = h
	s.mux = mux
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// response is what a visitor got.
type response struct {
	status int
	header http.Header
	body   string
}

// get fetches path with optional request headers given as name, value pairs.
func (s *shop) get(t testing.TB, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("GET %s set a cookie: %q (public pages never do)", path, c)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

func mustContain(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func mustNotContain(t testing.TB, what, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s: contains %q", what, b)
		}
	}
}

// tags returns the Surrogate-Key tags of a response as a set.
func tags(h http.Header) map[string]bool {
	out := map[string]bool{}
	for _, t := range strings.Fields(h.Get("Surrogate-Key")) {
		out[t] = true
	}
	return out
}
