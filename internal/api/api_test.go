package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// fixture is a small catalog: Clothing > Shirts, and Kitchen.
type fixture struct {
	srv                        *httptest.Server
	clothing, shirts, kitchen  catalog.Category
	blue, red, knife, draftPan int64
}

const imageKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.jpg"

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	c := catalog.New(db)
	f := &fixture{}
	mustCat := func(nc catalog.NewCategory) catalog.Category {
		cat, err := c.CreateCategory(ctx, nc)
		if err != nil {
			t.Fatalf("create category %s: %v", nc.Name, err)
		}
		return cat
	}
	f.clothing = mustCat(catalog.NewCategory{Name: "Clothing", Position: 1})
	f.kitchen = mustCat(catalog.NewCategory{Name: "Kitchen", Position: 2})
	f.shirts = mustCat(catalog.NewCategory{Name: "Shirts", ParentID: f.clothing.ID})

	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	mustProduct := func(np catalog.NewProduct) int64 {
		p, err := c.CreateProduct(ctx, np)
		if err != nil {
			t.Fatalf("create product %s: %v", np.Name, err)
		}
		return p.ID
	}
	f.blue = mustProduct(catalog.NewProduct{Name: "Blue Shirt", Brand: "Acme", Description: "A blue shirt.",
		Position: 1, CategoryIDs: []int64{f.shirts.ID}, CreatedAt: t0,
		Images: []catalog.Image{{Key: imageKey, Alt: "Blue shirt, front", Width: 800, Height: 600}},
		Variants: []catalog.NewVariant{
			{SKU: "BS-S", Name: "Small", Options: []catalog.Option{{Name: "size", Value: "S"}}, PriceCents: 2500, Stock: 10},
			{SKU: "BS-M", Name: "Medium", Options: []catalog.Option{{Name: "size", Value: "M"}}, PriceCents: 2700, Stock: 0},
		}})
	f.red = mustProduct(catalog.NewProduct{Name: "Red Shirt", Position: 2, CategoryIDs: []int64{f.shirts.ID},
		CreatedAt: t0.Add(time.Hour), Variants: []catalog.NewVariant{{SKU: "RS-1", PriceCents: 1500, Stock: 3}}})
	f.knife = mustProduct(catalog.NewProduct{Name: "Chef Knife", Position: 3, CategoryIDs: []int64{f.kitchen.ID},
		Description: "<script>alert(1)</script> & more", CreatedAt: t0.Add(2 * time.Hour),
		Variants: []catalog.NewVariant{{SKU: "CK-1", PriceCents: 4900, Stock: 0}}})
	f.draftPan = mustProduct(catalog.NewProduct{Name: "Draft Pan", Status: "draft", CategoryIDs: []int64{f.kitchen.ID},
		Variants: []catalog.NewVariant{{SKU: "DP-1", PriceCents: 900, Stock: 9}}})

	mux := http.NewServeMux()
	h := &api.Handler{Catalog: c, Log: slog.New(slog.DiscardHandler)}
	h.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, target string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, body}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

type errorJSON struct {
	Error struct{ Code, Message, Field string }
}

type listJSON struct {
	Items []struct {
		ID           int64
		Slug, Name   string
		PriceCents   int64 `json:"price_cents"`
		Currency     string
		InStock      bool `json:"in_stock"`
		Availability string
		ImageURL     *string `json:"image_url"`
	}
	Total, Page, Pages int
	PerPage            int `json:"per_page"`
}

func (l listJSON) slugs() []string {
	var s []string
	for _, it := range l.Items {
		s = append(s, it.Slug)
	}
	return s
}

func tags(ids ...int64) []string {
	var out []string
	for _, id := range ids {
		out = append(out, cachehdr.ProductTag(id))
	}
	return out
}

// anyKeys skips the Surrogate-Key check where what a search finds is up to
// the dialect's tokenizer; those rows assert only that nothing breaks.
var anyKeys = []string{"*"}

// TestRequests checks status, error code and field, and headers of a table
// of requests, including hostile input: none of it may yield a 500.
func TestRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		long := strings.Repeat("a", catalog.MaxQueryLen+1)
		tests := []struct {
			name, method, target string
			status               int
			code, field          string
			cacheControl         string
			keys                 []string // Surrogate-Key, in any order; nil: header absent
			allow                string
		}{
			{"list", "GET", "/api/v1/products", 200, "", "", cachehdr.API, tags(f.blue, f.red, f.knife), ""},
			{"list head", "HEAD", "/api/v1/products", 200, "", "", cachehdr.API, tags(f.blue, f.red, f.knife), ""},
			{"category", "GET", "/api/v1/products?category=clothing", 200, "", "", cachehdr.API,
				append([]string{cachehdr.CategoryTag(f.clothing.ID)}, tags(f.blue, f.red)...), ""},
			{"search", "GET", "/api/v1/products?q=shirt", 200, "", "", cachehdr.Search, tags(f.blue, f.red), ""},
			{"search with nothing found", "GET", "/api/v1/products?q=zeppelin", 200, "", "", cachehdr.Search, nil, ""},
			{"unknown category", "GET", "/api/v1/products?category=nope", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"category slug with NUL", "GET", "/api/v1/products?category=a%00b", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"category slug not UTF-8", "GET", "/api/v1/products?category=%ff%fe", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"page -1", "GET", "/api/v1/products?page=-1", 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page 0", "GET", "/api/v1/products?page=0", 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page abc", "GET", "/api/v1/products?page=abc", 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page 1.5", "GET", "/api/v1/products?page=1.5", 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page past the limit", "GET", "/api/v1/products?page=" + strconv.Itoa(catalog.MaxPage+1), 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page overflowing int", "GET", "/api/v1/products?page=99999999999999999999999", 400, "invalid", "page", cachehdr.Private, nil, ""},
			{"page far past the end", "GET", "/api/v1/products?page=50", 200, "", "", cachehdr.API, nil, ""},
			{"per_page abc", "GET", "/api/v1/products?per_page=abc", 400, "invalid", "per_page", cachehdr.Private, nil, ""},
			{"per_page 0", "GET", "/api/v1/products?per_page=0", 400, "invalid", "per_page", cachehdr.Private, nil, ""},
			{"per_page huge clamps", "GET", "/api/v1/products?per_page=100000", 200, "", "", cachehdr.API, tags(f.blue, f.red, f.knife), ""},
			{"per_page overflowing int clamps", "GET", "/api/v1/products?per_page=99999999999999999999999", 200, "", "", cachehdr.API, tags(f.blue, f.red, f.knife), ""},
			{"unknown sort", "GET", "/api/v1/products?sort=popularity", 400, "invalid", "sort", cachehdr.Private, nil, ""},
			{"sort with SQL", "GET", "/api/v1/products?sort=" + url.QueryEscape("price_cents; DROP TABLE products"), 400, "invalid", "sort", cachehdr.Private, nil, ""},
			{"q too long", "GET", "/api/v1/products?q=" + long, 400, "invalid", "q", cachehdr.Private, nil, ""},
			{"q not UTF-8", "GET", "/api/v1/products?q=%ff", 400, "invalid", "q", cachehdr.Private, nil, ""},
			{"q with SQL", "GET", "/api/v1/products?q=" + url.QueryEscape("'; DROP TABLE products;--"), 200, "", "", cachehdr.Search, nil, ""},
			{"q with FTS syntax", "GET", "/api/v1/products?q=" + url.QueryEscape(`"foo* OR (bar`), 200, "", "", cachehdr.Search, nil, ""},
			{"q with NEAR(", "GET", "/api/v1/products?q=" + url.QueryEscape(`NEAR(shirt blue`), 200, "", "", cachehdr.Search, anyKeys, ""},
			{"q with tsquery syntax", "GET", "/api/v1/products?q=" + url.QueryEscape(`shirt & !blue | <-> :*`), 200, "", "", cachehdr.Search, tags(f.blue), ""},
			{"q with HTML", "GET", "/api/v1/products?q=" + url.QueryEscape(`<script>alert(1)</script>`), 200, "", "", cachehdr.Search, anyKeys, ""},
			{"q with NUL", "GET", "/api/v1/products?q=shirt%00", 200, "", "", cachehdr.Search, tags(f.blue, f.red), ""},
			{"q only punctuation", "GET", "/api/v1/products?q=" + url.QueryEscape(`"*()`), 200, "", "", cachehdr.Search, nil, ""},
			{"product", "GET", "/api/v1/products/blue-shirt", 200, "", "", cachehdr.API, // and its breadcrumb's categories (issue 16)
				append(tags(f.blue), cachehdr.CategoryTag(f.clothing.ID), cachehdr.CategoryTag(f.shirts.ID)), ""},
			{"unknown product", "GET", "/api/v1/products/no-such-thing", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"draft product", "GET", "/api/v1/products/draft-pan", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"product slug with SQL", "GET", "/api/v1/products/" + url.PathEscape("x' OR '1'='1"), 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"product slug not UTF-8", "GET", "/api/v1/products/%ff", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"categories", "GET", "/api/v1/categories", 200, "", "", cachehdr.API,
				[]string{api.TagCategories, cachehdr.CategoryTag(f.clothing.ID), cachehdr.CategoryTag(f.shirts.ID), cachehdr.CategoryTag(f.kitchen.ID)}, ""},
			{"unknown API path", "GET", "/api/v1/nothing", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"unknown API version", "GET", "/api/v2/products", 404, "not_found", "", cachehdr.NotFound, nil, ""},
			{"POST to a read route", "POST", "/api/v1/products", 405, "method_not_allowed", "", cachehdr.Private, nil, "GET, HEAD"},
			{"DELETE a product", "DELETE", "/api/v1/products/blue-shirt", 405, "method_not_allowed", "", cachehdr.Private, nil, "GET, HEAD"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res := f.do(t, tc.method, tc.target)
				if res.status != tc.status {
					t.Fatalf("status %d, want %d; body %s", res.status, tc.status, res.body)
				}
				if ct := res.header.Get("Content-Type"); ct != api.ContentType {
					t.Errorf("Content-Type %q, want %q", ct, api.ContentType)
				}
				if cc := res.header.Get("Cache-Control"); cc != tc.cacheControl {
					t.Errorf("Cache-Control %q, want %q", cc, tc.cacheControl)
				}
				_, hasKeys := res.header[cachehdr.HeaderTags]
				// Tag order carries no meaning (and search ranks differ by dialect).
				got := strings.Fields(res.header.Get(cachehdr.HeaderTags))
				slices.Sort(got)
				slices.Sort(tc.keys)
				if !slices.Equal(tc.keys, anyKeys) && (!slices.Equal(got, tc.keys) || hasKeys != (tc.keys != nil)) {
					t.Errorf("Surrogate-Key %q, want %q", got, tc.keys)
				}
				if allow := res.header.Get("Allow"); allow != tc.allow {
					t.Errorf("Allow %q, want %q", allow, tc.allow)
				}
				if tc.method == "HEAD" {
					if len(res.body) != 0 {
						t.Errorf("HEAD has a body: %s", res.body)
					}
					return
				}
				if tc.code == "" {
					var v any
					res.decode(t, &v)
					return
				}
				var e errorJSON
				res.decode(t, &e)
				if e.Error.Code != tc.code || e.Error.Field != tc.field || e.Error.Message == "" {
					t.Errorf("error %+v, want code %q field %q and a message", e.Error, tc.code, tc.field)
				}
			})
		}
	})
}

func TestListSortingAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		tests := []struct {
			query                   string
			slugs                   []string
			total, page, per, pages int
		}{
			{"", []string{"blue-shirt", "red-shirt", "chef-knife"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=relevance", []string{"blue-shirt", "red-shirt", "chef-knife"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=price_asc", []string{"red-shirt", "blue-shirt", "chef-knife"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=price_desc", []string{"chef-knife", "blue-shirt", "red-shirt"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=newest", []string{"chef-knife", "red-shirt", "blue-shirt"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=name", []string{"blue-shirt", "chef-knife", "red-shirt"}, 3, 1, catalog.DefaultPerPage, 1},
			{"sort=price_asc&per_page=2", []string{"red-shirt", "blue-shirt"}, 3, 1, 2, 2},
			{"sort=price_asc&per_page=2&page=2", []string{"chef-knife"}, 3, 2, 2, 2},
			{"sort=price_asc&per_page=2&page=3", nil, 3, 3, 2, 2},
			{"per_page=100000", []string{"blue-shirt", "red-shirt", "chef-knife"}, 3, 1, catalog.MaxPerPage, 1},
			{"category=clothing&sort=price_desc", []string{"blue-shirt", "red-shirt"}, 2, 1, catalog.DefaultPerPage, 1},
			{"category=shirts&sort=name", []string{"blue-shirt", "red-shirt"}, 2, 1, catalog.DefaultPerPage, 1},
			{"category=kitchen", []string{"chef-knife"}, 1, 1, catalog.DefaultPerPage, 1},
			{"q=shirt&sort=price_asc", []string{"red-shirt", "blue-shirt"}, 2, 1, catalog.DefaultPerPage, 1},
			{"q=shirt&category=kitchen", nil, 0, 1, catalog.DefaultPerPage, 1},
			{"q=knife&category=kitchen", []string{"chef-knife"}, 1, 1, catalog.DefaultPerPage, 1},
		}
		for _, tc := range tests {
			t.Run(tc.query, func(t *testing.T) {
				res := f.do(t, "GET", "/api/v1/products?"+tc.query)
				if res.status != 200 {
					t.Fatalf("status %d: %s", res.status, res.body)
				}
				var l listJSON
				res.decode(t, &l)
				if !slices.Equal(l.slugs(), tc.slugs) {
					t.Errorf("items %v, want %v", l.slugs(), tc.slugs)
				}
				if l.Total != tc.total || l.Page != tc.page || l.PerPage != tc.per || l.Pages != tc.pages {
					t.Errorf("total %d page %d per_page %d pages %d, want %d %d %d %d",
						l.Total, l.Page, l.PerPage, l.Pages, tc.total, tc.page, tc.per, tc.pages)
				}
			})
		}
	})
}

func TestListShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := f.do(t, "GET", "/api/v1/products?sort=price_asc")
		var raw map[string]json.RawMessage
		res.decode(t, &raw)
		assertKeys(t, raw, "filters", "items", "more_than_total", "page", "pages", "per_page", "total")
		var items []map[string]any
		if err := json.Unmarshal(raw["items"], &items); err != nil || len(items) != 3 {
			t.Fatalf("items %s (%v)", raw["items"], err)
		}
		for _, it := range items {
			assertKeys(t, it, "availability", "currency", "id", "image_url", "in_stock", "name", "price_cents", "slug")
		}
		var l listJSON
		res.decode(t, &l)
		red, blue, knife := l.Items[0], l.Items[1], l.Items[2]
		if red.ID != f.red || red.PriceCents != 1500 || red.Currency != "EUR" || !red.InStock || red.Availability != "low_stock" || red.ImageURL != nil {
			t.Errorf("red shirt: %+v", red)
		}
		if blue.ImageURL == nil || *blue.ImageURL != "/media/"+imageKey || blue.Availability != "in_stock" || blue.PriceCents != 2500 {
			t.Errorf("blue shirt: %+v (image %v)", blue, blue.ImageURL)
		}
		if knife.InStock || knife.Availability != "out_of_stock" {
			t.Errorf("chef knife: %+v", knife)
		}
		// An empty page is an empty list, not null.
		empty := f.do(t, "GET", "/api/v1/products?q=zeppelin")
		if !strings.Contains(string(empty.body), `"items":[]`) {
			t.Errorf("empty listing: %s", empty.body)
		}
	})
}

func TestProductShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := f.do(t, "GET", "/api/v1/products/blue-shirt")
		var raw map[string]any
		res.decode(t, &raw)
		assertKeys(t, raw, "attributes", "availability", "brand", "categories", "currency", "description", "id", "image_url",
			"images", "in_stock", "name", "price_cents", "slug", "variants")
		var p struct {
			ID          int64
			Name, Brand string
			PriceCents  int64 `json:"price_cents"`
			Variants    []struct {
				ID          int64
				SKU, Name   string
				Options     []catalog.Option
				PriceCents  int64 `json:"price_cents"`
				Currency    string
				StockStatus string `json:"stock_status"`
			}
			Images     []struct{ URL, Alt string }
			Categories []struct {
				ID         int64
				Slug, Name string
			}
		}
		res.decode(t, &p)
		if p.ID != f.blue || p.Name != "Blue Shirt" || p.Brand != "Acme" || p.PriceCents != 2500 {
			t.Errorf("product %+v", p)
		}
		if len(p.Variants) != 2 || p.Variants[0].SKU != "BS-S" || p.Variants[0].StockStatus != "in_stock" ||
			p.Variants[1].StockStatus != "out_of_stock" || p.Variants[1].PriceCents != 2700 || p.Variants[1].Currency != "EUR" ||
			!slices.Equal(p.Variants[0].Options, []catalog.Option{{Name: "size", Value: "S"}}) {
			t.Errorf("variants %+v", p.Variants)
		}
		for _, v := range raw["variants"].([]any) {
			assertKeys(t, v.(map[string]any), "currency", "id", "name", "options", "price_cents", "sku", "stock_status")
		}
		if len(p.Images) != 1 || p.Images[0].URL != "/media/"+imageKey || p.Images[0].Alt != "Blue shirt, front" {
			t.Errorf("images %+v", p.Images)
		}
		if len(p.Categories) != 2 || p.Categories[0].Slug != "clothing" || p.Categories[1].Slug != "shirts" {
			t.Errorf("breadcrumb %+v, want clothing > shirts", p.Categories)
		}

		if !strings.Contains(string(res.body), `"attributes":[]`) {
			t.Errorf("a product without attributes: %s, want \"attributes\":[]", res.body)
		}

		// The product's own attributes, in the merchant's order.
		attrs := []catalog.Option{{Name: "Steel", Value: "<b>VG-10</b>"}, {Name: "Origin", Value: "Seki"}}
		if _, err := catalog.New(db).UpdateProduct(context.Background(), f.knife, catalog.ProductPatch{Attributes: &attrs}); err != nil {
			t.Fatal(err)
		}
		knife := f.do(t, "GET", "/api/v1/products/chef-knife")
		var k struct{ Attributes []catalog.Option }
		if knife.decode(t, &k); !slices.Equal(k.Attributes, attrs) {
			t.Errorf("attributes %v, want %v", k.Attributes, attrs)
		}
		// Lists are [] rather than null, and text is escaped for HTML contexts.
		for _, want := range []string{`"images":[]`, `"options":[]`, `\u003cscript\u003e`, `\u0026 more`, `\u003cb\u003eVG-10`} {
			if !strings.Contains(string(knife.body), want) {
				t.Errorf("chef knife body lacks %s: %s", want, knife.body)
			}
		}
		if strings.Contains(string(knife.body), "<script>") || strings.Contains(string(knife.body), "<b>") {
			t.Errorf("raw HTML in JSON: %s", knife.body)
		}
	})
}

func TestCategoriesShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := f.do(t, "GET", "/api/v1/categories")
		type node struct {
			ID       int64
			Slug     string
			Name     string
			Children []node
		}
		var tree []node
		res.decode(t, &tree)
		want := []node{
			{ID: f.clothing.ID, Slug: "clothing", Name: "Clothing", Children: []node{{ID: f.shirts.ID, Slug: "shirts", Name: "Shirts", Children: []node{}}}},
			{ID: f.kitchen.ID, Slug: "kitchen", Name: "Kitchen", Children: []node{}},
		}
		got, _ := json.Marshal(tree)
		exp, _ := json.Marshal(want)
		if string(got) != string(exp) {
			t.Errorf("tree\n got %s\nwant %s", got, exp)
		}
		var raw []map[string]any
		res.decode(t, &raw)
		assertKeys(t, raw[0], "children", "id", "name", "slug")
	})
}

// TestDeterministic: the same request gives the same bytes, so edges and
// clients can compare and revalidate responses.
func TestDeterministic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, target := range []string{"/api/v1/products", "/api/v1/products/blue-shirt", "/api/v1/categories"} {
			a, b := f.do(t, "GET", target), f.do(t, "GET", target)
			if string(a.body) != string(b.body) {
				t.Errorf("%s: two answers differ:\n%s\n%s", target, a.body, b.body)
			}
			if a.header.Get("Content-Length") != strconv.Itoa(len(a.body)) {
				t.Errorf("%s: Content-Length %q for %d bytes", target, a.header.Get("Content-Length"), len(a.body))
			}
		}
	})
}

// TestServerErrorIsGeneric: a database failure answers 500 with a generic
// message (no SQL, no driver text), private, and is logged with its cause.
func TestServerErrorIsGeneric(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs strings.Builder
		mux := http.NewServeMux()
		h := &api.Handler{Catalog: catalog.New(db), Log: slog.New(slog.NewTextHandler(&logs, nil))}
		h.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		db.Close()

		res, err := srv.Client().Get(srv.URL + "/api/v1/categories")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 500 || res.Header.Get("Cache-Control") != cachehdr.Private {
			t.Fatalf("status %d Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
		}
		var e errorJSON
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "internal" {
			t.Fatalf("body %s", body)
		}
		if strings.Contains(strings.ToLower(e.Error.Message), "sql") || strings.Contains(e.Error.Message, "closed") {
			t.Errorf("message leaks details: %q", e.Error.Message)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "closed") {
			t.Errorf("the cause was not logged: %s", logs.String())
		}
	})
}

func assertKeys[V any](t *testing.T, m map[string]V, want ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}

// TestSearchCorrectsATypo: a search that matches nothing as typed answers
// for the word meant and names it in corrected_query; one that matches
// carries no such field.
func TestSearchCorrectsATypo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := f.do(t, "GET", "/api/v1/products?q=shrit")
		var out struct {
			Total          int    `json:"total"`
			CorrectedQuery string `json:"corrected_query"`
		}
		if err := json.Unmarshal(res.body, &out); err != nil || res.status != 200 {
			t.Fatalf("%d %v %s", res.status, err, res.body)
		}
		if out.CorrectedQuery != "shirt" || out.Total == 0 {
			t.Errorf("q=shrit: corrected_query %q, total %d; want shirt and its products", out.CorrectedQuery, out.Total)
		}
		if res := f.do(t, "GET", "/api/v1/products?q=shirt"); strings.Contains(string(res.body), "corrected_query") {
			t.Errorf("a search that matches as typed carries corrected_query: %s", res.body)
		}
	})
}
