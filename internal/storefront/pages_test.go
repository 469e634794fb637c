package storefront_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestCacheContract checks the headers the edge relies on, page by page.
func TestCacheContract(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		pid := func(slug string) string { return cachehdr.ProductTag(s.prod[slug].ID) }
		tests := []struct {
			path     string
			status   int
			cache    string
			tags     []string // must all be present
			exactly  bool     // and nothing else
			htmlPage bool
		}{
			{"/", 200, cachehdr.Page, []string{"home", "categories", pid("linen-shirt"), pid("xss-lamp")}, false, true},
			{"/categories/shirts", 200, cachehdr.Page, []string{cachehdr.CategoryTag(s.cats["shirts"].ID), "categories", pid("oxford-shirt"), pid("linen-shirt")}, true, true},
			{"/products/oxford-shirt", 200, cachehdr.Page, []string{pid("oxford-shirt"), "categories"}, true, true},
			{"/search?q=shirt", 200, cachehdr.Search, []string{"search", "categories", pid("oxford-shirt"), pid("linen-shirt")}, true, true},
			{"/search", 200, cachehdr.Search, []string{"search", "categories"}, true, true},
			{"/robots.txt", 200, cachehdr.Short, nil, true, false},
			{"/sitemap.xml", 200, cachehdr.Short, nil, true, false},
			{"/sitemap-categories.xml", 200, cachehdr.Short, nil, true, false},
			{"/sitemap-products-1.xml", 200, cachehdr.Short, nil, true, false},
			{"/products/no-such-thing", 404, cachehdr.NotFound, nil, true, true},
			{"/categories/shirts?page=abc", 400, cachehdr.Private, nil, true, true},
		}
		for _, tc := range tests {
			res := s.get(t, tc.path)
			if res.status != tc.status {
				t.Errorf("GET %s: status %d, want %d", tc.path, res.status, tc.status)
			}
			if got := res.header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
			}
			got := tags(res.header)
			for _, tag := range tc.tags {
				if !got[tag] {
					t.Errorf("GET %s: Surrogate-Key %q lacks %s", tc.path, res.header.Get("Surrogate-Key"), tag)
				}
			}
			if tc.exactly && len(got) != len(tc.tags) {
				t.Errorf("GET %s: Surrogate-Key %q, want exactly %v", tc.path, res.header.Get("Surrogate-Key"), tc.tags)
			}
			if ct := res.header.Get("Content-Type"); tc.htmlPage && ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q", tc.path, ct)
			}
		}
	})
}

func TestHomePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/")
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		mustContain(t, "home", res.body,
			"<title>Test Shop</title>",
			`<link rel="canonical" href="https://shop.example/">`,
			`<meta name="description" content="`,
			`<meta property="og:title" content="Test Shop">`,
			`action="/search"`,
			`href="/cart"`, `data-cart-count`, `data-account`,
			// featured shelf and new arrivals
			`id="featured"`, "Linen Shirt", "$12.50",
			`id="newest"`, "Sock 25", "Wool Sweater", "£89.00",
			// top categories in the nav, in position order
			`<a href="/categories/clothing">Clothing</a>`, `<a href="/categories/home">Home &amp; Garden</a>`,
		)
		if strings.Index(res.body, ">Clothing<") > strings.Index(res.body, ">Home &amp; Garden<") {
			t.Error("top categories are not in position order")
		}
		mustNotContain(t, "home", res.body, "Shirts</a></li>\n      <li><a href=\"/categories/socks") // subcategories stay out of the header
	})
}

func TestCategoryPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/categories/shirts")
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		mustContain(t, "shirts", res.body,
			"<title>Shirts · Test Shop</title>",
			`<link rel="canonical" href="https://shop.example/categories/shirts">`,
			// breadcrumb: Home › Clothing › Shirts (current, not a link)
			`<li><a href="/">Home</a></li>`, `<li><a href="/categories/clothing">Clothing</a></li>`, `<span aria-current="page">Shirts</span>`,
			// grid: names, prices, availability
			`<a href="/products/oxford-shirt">`, "Oxford Shirt", "€49.99", "In stock",
			"Linen Shirt", "$12.50",
			"2 products",
			// the sort menu works without JavaScript
			`<select id="sort" name="sort"`, `<option value="price_asc">Price: low to high</option>`, `<button class="js-hide secondary button" type="submit">Apply</button>`,
			// the nav marks the section we are in
			`<a href="/categories/clothing" aria-current="true">Clothing</a>`,
		)

		// A parent lists its subcategories and their products.
		res = s.get(t, "/categories/clothing")
		mustContain(t, "clothing", res.body,
			"Things to wear.",
			`<a href="/categories/shirts">Shirts</a>`, `<a href="/categories/socks">Socks</a>`,
			"Oxford Shirt", "Wool Sweater", "Out of stock",
			fmt.Sprintf("%d products", socks+3),
		)

		// An empty category says so.
		cat := catalog.New(db)
		if _, err := cat.CreateCategory(t.Context(), catalog.NewCategory{Slug: "empty", Name: "Empty"}); err != nil {
			t.Fatal(err)
		}
		res = s.get(t, "/categories/empty")
		if res.status != 200 {
			t.Fatalf("empty category: status %d", res.status)
		}
		mustContain(t, "empty category", res.body, "There are no products in this category yet.")
	})
}

var cardName = regexp.MustCompile(`<span class="name">([^<]*)</span>`)

// names lists the product names of a grid, in order.
func names(body string) []string {
	var out []string
	for _, m := range cardName.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestSortChangesOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		first := func(sort string) (string, string) {
			t.Helper()
			res := s.get(t, "/categories/socks?per_page=100&sort="+sort)
			if res.status != 200 {
				t.Fatalf("sort=%s: status %d", sort, res.status)
			}
			n := names(res.body)
			if len(n) != socks {
				t.Fatalf("sort=%s: %d products, want %d", sort, len(n), socks)
			}
			mustContain(t, "sort="+sort, res.body, fmt.Sprintf(`<option value="%s" selected>`, sort))
			return n[0], n[len(n)-1]
		}
		tests := []struct{ sort, first, last string }{
			{"name", "Sock 01", "Sock 25"},
			{"price_asc", "Sock 25", "Sock 01"},  // Sock 25 is the cheapest
			{"price_desc", "Sock 01", "Sock 25"}, // Sock 01 the dearest
			{"newest", "Sock 25", "Sock 01"},     // created last
		}
		for _, tc := range tests {
			if f, l := first(tc.sort); f != tc.first || l != tc.last {
				t.Errorf("sort=%s: grid runs %s…%s, want %s…%s", tc.sort, f, l, tc.first, tc.last)
			}
		}
	})
}

func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		seen := map[string]bool{}
		for page, want := range map[int]int{1: 10, 2: 10, 3: 5} {
			res := s.get(t, fmt.Sprintf("/categories/socks?sort=name&per_page=10&page=%d", page))
			n := names(res.body)
			if res.status != 200 || len(n) != want {
				t.Fatalf("page %d: status %d, %d products, want %d", page, res.status, len(n), want)
			}
			for _, name := range n {
				if seen[name] {
					t.Errorf("page %d repeats %s", page, name)
				}
				seen[name] = true
			}
			mustContain(t, fmt.Sprintf("page %d", page), res.body, fmt.Sprintf(`<span aria-current="page">%d</span>`, page))
		}
		if len(seen) != socks {
			t.Errorf("pages showed %d distinct products, want %d", len(seen), socks)
		}

		res := s.get(t, "/categories/socks?sort=name&per_page=10&page=2")
		mustContain(t, "page 2", res.body,
			`<a href="/categories/socks?sort=name&amp;per_page=10" rel="prev">`,
			`<a href="/categories/socks?sort=name&amp;per_page=10&amp;page=3" rel="next">`,
			`<link rel="prev" href="https://shop.example/categories/socks?sort=name&amp;per_page=10">`,
			// canonical keeps sort and page, drops per_page
			`<link rel="canonical" href="https://shop.example/categories/socks?sort=name&amp;page=2">`,
			"<title>Socks – page 2 · Test Shop</title>",
			// the sort form keeps per_page and starts again at page 1
			`<input type="hidden" name="per_page" value="10">`,
		)
		res = s.get(t, "/categories/socks?per_page=10&page=3")
		mustNotContain(t, "last page", res.body, `rel="next"`)

		// Past the last page: still 200, with a way back.
		res = s.get(t, "/categories/socks?per_page=10&page=9")
		if res.status != 200 || len(names(res.body)) != 0 {
			t.Fatalf("past the end: status %d, %d products", res.status, len(names(res.body)))
		}
		mustContain(t, "past the end", res.body, "There are no products on this page.", `href="/categories/socks?per_page=10">Go to page 1</a>`)

		// per_page above the maximum is clamped to 100, not refused.
		res = s.get(t, "/categories/socks?per_page=100000")
		if res.status != 200 || len(names(res.body)) != socks {
			t.Fatalf("per_page=100000: status %d, %d products", res.status, len(names(res.body)))
		}
	})
}

func TestProductPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		p := s.prod["oxford-shirt"]
		res := s.get(t, "/products/oxford-shirt")
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		v := map[string]int64{}
		for _, vr := range p.Variants {
			v[vr.SKU] = vr.ID
		}
		mustContain(t, "product", res.body,
			"<title>Oxford Shirt · Test Shop</title>",
			`<link rel="canonical" href="https://shop.example/products/oxford-shirt">`,
			`<meta property="og:type" content="product">`,
			`<meta property="og:image" content="https://shop.example/media/ox/front.jpg">`,
			`<p class="brand">Acme</p>`, "<h1>Oxford Shirt</h1>", "From €49.99", "A crisp cotton shirt.",
			// breadcrumb through the product's category
			`<a href="/categories/clothing">Clothing</a>`, `<a href="/categories/shirts">Shirts</a>`, `<span aria-current="page">Oxford Shirt</span>`,
			// gallery: first image large, the others as thumbnails
			`<img src="/media/ox/front.jpg" alt="Oxford shirt, front" width="800" height="1000" fetchpriority="high">`,
			`<img src="/media/ox/back.jpg" alt="Oxford shirt, back" width="800" height="1000" loading="lazy">`,
			`<a href="#image-1" data-thumb>`,
			// the add-to-cart form and its variants
			`<form class="buy-form" method="post" action="/cart/items">`,
			fmt.Sprintf(`<input type="radio" name="variant_id" value="%d" checked required>`, v["OX-S"]),
			fmt.Sprintf(`<input type="radio" name="variant_id" value="%d" required>`, v["OX-M"]),
			fmt.Sprintf(`<input type="radio" name="variant_id" value="%d" disabled required>`, v["OX-L"]),
			"Size: M", "€52.50",
			`<span class="avail in_stock">In stock</span>`,
			`<span class="avail low_stock">Only a few left</span>`,
			`<span class="avail out_of_stock">Out of stock</span>`,
			`name="quantity" value="1"`, ">Add to cart</button>",
		)

		// A sold-out product cannot be added to the cart.
		res = s.get(t, "/products/wool-sweater")
		mustContain(t, "sold out", res.body, `<button type="submit" disabled>Out of stock</button>`, `<svg class="placeholder"`)
	})
}

// TestProductDetails: a product's attributes show as a "Details" list, in
// the merchant's order, as text (HTML in a value is not markup), and in the
// structured data; a product without attributes has no such section.
func TestProductDetails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/products/oxford-shirt")
		mustNotContain(t, "no attributes", res.body, "Details", `class="specs"`)
		attrs := []catalog.Option{{Name: "Material", Value: "Cotton"}, {Name: "Care", Value: "<b>Cold</b> wash & dry"}}
		if _, err := s.h.Catalog.UpdateProduct(context.Background(), s.prod["oxford-shirt"].ID, catalog.ProductPatch{Attributes: &attrs}); err != nil {
			t.Fatal(err)
		}
		res = s.get(t, "/products/oxford-shirt")
		mustContain(t, "attributes", res.body, `<h2 id="details">Details</h2>`,
			"<dt>Material</dt><dd>Cotton</dd>\n        <dt>Care</dt><dd>&lt;b&gt;Cold&lt;/b&gt; wash &amp; dry</dd>")
		mustNotContain(t, "attributes", res.body, "<b>Cold</b>")
		// Search engines read them as schema.org PropertyValues.
		props, _ := jsonLD(t, res.body)["additionalProperty"].([]any)
		if len(props) != 2 {
			t.Fatalf("JSON-LD additionalProperty: %v", props)
		}
		for i, a := range attrs {
			if p, _ := props[i].(map[string]any); p["@type"] != "PropertyValue" || p["name"] != a.Name || p["value"] != a.Value {
				t.Errorf("JSON-LD property %d: %v, want %s: %s", i, p, a.Name, a.Value)
			}
		}
	})
}

// jsonLD returns the product page's structured data, parsed.
func jsonLD(t *testing.T, body string) map[string]any {
	t.Helper()
	const open = `<script type="application/ld+json">`
	i := strings.Index(body, open)
	if i < 0 {
		t.Fatal("no JSON-LD script")
	}
	rest := body[i+len(open):]
	j := strings.Index(rest, "</script>")
	var ld map[string]any
	if err := json.Unmarshal([]byte(rest[:j]), &ld); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, rest[:j])
	}
	return ld
}

func TestProductJSONLD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ld := jsonLD(t, s.get(t, "/products/oxford-shirt").body)
		if ld["@type"] != "Product" || ld["name"] != "Oxford Shirt" || ld["sku"] != "OX-S" || ld["url"] != "https://shop.example/products/oxford-shirt" {
			t.Errorf("JSON-LD product fields: %v", ld)
		}
		if img, _ := ld["image"].([]any); len(img) != 2 || img[0] != "https://shop.example/media/ox/front.jpg" {
			t.Errorf("JSON-LD images not absolute: %v", ld["image"])
		}
		if b, _ := ld["brand"].(map[string]any); b["name"] != "Acme" {
			t.Errorf("JSON-LD brand: %v", ld["brand"])
		}
		offers, _ := ld["offers"].([]any)
		want := []struct{ price, avail string }{
			{"49.99", "https://schema.org/InStock"},
			{"52.50", "https://schema.org/LimitedAvailability"},
			{"52.50", "https://schema.org/OutOfStock"},
		}
		if len(offers) != len(want) {
			t.Fatalf("JSON-LD offers: %v", offers)
		}
		for i, w := range want {
			o := offers[i].(map[string]any)
			if o["price"] != w.price || o["priceCurrency"] != "EUR" || o["availability"] != w.avail || o["url"] != "https://shop.example/products/oxford-shirt" {
				t.Errorf("offer %d: %v, want price %s EUR %s", i, o, w.price, w.avail)
			}
		}
	})
}

// TestProductNameXSS: a hostile product name and description are shown as
// text everywhere and cannot break out of the JSON-LD script.
func TestProductNameXSS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		for _, path := range []string{"/products/xss-lamp", "/categories/home", "/", "/search?q=lamp"} {
			res := s.get(t, path)
			if res.status != 200 {
				t.Fatalf("GET %s: status %d", path, res.status)
			}
			mustNotContain(t, path, res.body, "<script>alert", "<b>Lamp", "<img src=x")
			// Only our two scripts (app.js and, on the product page, JSON-LD) end.
			if n := strings.Count(res.body, "</script>"); n > 2 {
				t.Errorf("GET %s: %d </script> tags: the name broke out", path, n)
			}
			mustContain(t, path, res.body, "&lt;b&gt;Lamp&lt;/b&gt;")
		}
		res := s.get(t, "/products/xss-lamp")
		ld := jsonLD(t, res.body)
		if ld["name"] != xssName {
			t.Errorf("JSON-LD name %q, want %q", ld["name"], xssName)
		}
		if o := ld["offers"].([]any)[0].(map[string]any); o["price"] != "30.00" || o["priceCurrency"] != "CHF" || o["availability"] != "https://schema.org/LimitedAvailability" {
			t.Errorf("JSON-LD offer: %v", o)
		}
		mustContain(t, "lamp", res.body, "30.00 CHF", "&lt;img src=x onerror=alert(2)&gt;")
	})
}

func TestSearchPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/search?q=shirt")
		if got := names(res.body); res.status != 200 || !slices.Contains(got, "Oxford Shirt") || !slices.Contains(got, "Linen Shirt") || len(got) != 2 {
			t.Fatalf("q=shirt: status %d, products %v", res.status, got)
		}
		mustContain(t, "q=shirt", res.body,
			"Results for “shirt”", `value="shirt"`, `<meta name="robots" content="noindex, follow">`,
			`<link rel="canonical" href="https://shop.example/search?q=shirt">`,
			`<input type="hidden" name="q" value="shirt">`,
		)

		// Sorting works on results as on categories (by amount: 12.50 < 49.99).
		for sort, first := range map[string]string{"price_asc": "Linen Shirt", "price_desc": "Oxford Shirt"} {
			if got := names(s.get(t, "/search?q=shirt&sort="+sort).body); len(got) != 2 || got[0] != first {
				t.Errorf("q=shirt&sort=%s: %v, want %s first", sort, got, first)
			}
		}

		// No query: the form, no results, still 200.
		res = s.get(t, "/search")
		if res.status != 200 || len(names(res.body)) != 0 {
			t.Fatalf("empty q: status %d, %d products", res.status, len(names(res.body)))
		}
		mustContain(t, "empty q", res.body, "<h1>Search</h1>", `placeholder="What are you looking for?"`)

		// Nothing found.
		res = s.get(t, "/search?q=zebra")
		mustContain(t, "q=zebra", res.body, "No products match your search.")

		// Markup and SQL in q are shown as text.
		for _, q := range []string{`<script>alert(3)</script>`, `' OR 1=1; DROP TABLE products; --`, `"><img src=x onerror=alert(4)>`} {
			res = s.get(t, "/search?q="+urlQuery(q))
			if res.status != 200 {
				t.Errorf("q=%s: status %d", q, res.status)
			}
			mustNotContain(t, "q="+q, res.body, "<script>alert(3)", "<img src=x")
			mustContain(t, "q="+q, res.body, "Results for “"+html.EscapeString(q)+"”")
		}
		if res := s.get(t, "/products/oxford-shirt"); res.status != 200 {
			t.Error("the products table did not survive the search")
		}
	})
}

// TestSameForEveryVisitor: a cached page is shared by every shopper, so
// what the app renders must not depend on who asks.
func TestSameForEveryVisitor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		for _, path := range []string{"/", "/categories/shirts?sort=price_desc", "/products/oxford-shirt", "/search?q=sock", "/products/nope"} {
			a := s.get(t, path, "Cookie", "agora_session=alice; cart=1")
			b := s.get(t, path, "Cookie", "agora_session=bob", "Accept-Language", "de")
			if a.status != b.status || a.body != b.body {
				t.Errorf("GET %s differs between visitors", path)
			}
			if a.header.Get("ETag") != b.header.Get("ETag") {
				t.Errorf("GET %s: ETags differ", path)
			}
		}
	})
}

// TestRevalidation: an edge holding a stale page revalidates it with its
// ETag and gets a bodiless 304 when nothing changed.
func TestRevalidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		first := s.get(t, "/products/oxford-shirt")
		etag := first.header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag on a product page")
		}
		res := s.get(t, "/products/oxford-shirt", "If-None-Match", etag)
		if res.status != http.StatusNotModified || res.body != "" {
			t.Errorf("If-None-Match: status %d, %d bytes", res.status, len(res.body))
		}
		if res.header.Get("Cache-Control") != cachehdr.Page || !tags(res.header)[cachehdr.ProductTag(s.prod["oxford-shirt"].ID)] {
			t.Errorf("304 lost its cache headers: %v", res.header)
		}
	})
}

// TestSearchCorrectsATypo: a search that matches nothing as typed shows
// the results for the word meant, says which, and tags them for purges.
func TestSearchCorrectsATypo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/search?q=oxfrod")
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		mustContain(t, "search with a typo", res.body, "data-corrected", "“<strong>oxford</strong>”", "/products/oxford-shirt")
		if !tags(res.header)[cachehdr.ProductTag(s.prod["oxford-shirt"].ID)] {
			t.Errorf("Surrogate-Key %q lacks the product shown", res.header.Get("Surrogate-Key"))
		}
		if res := s.get(t, "/search?q=oxford"); strings.Contains(res.body, "data-corrected") {
			t.Errorf("a search that matches as typed says it was corrected")
		}
	})
}

// Listing cards are kept rendered by their content (cards.go): a product's
// new name, price and availability show at once on every listing, never a
// card kept from before.
func TestCardsFollowTheProduct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ctx := t.Context()
		card := func(path string) string {
			t.Helper()
			res := s.get(t, path)
			i := strings.Index(res.body, `<a href="/products/oxford-shirt">`)
			if res.status != 200 || i < 0 {
				t.Fatalf("GET %s: status %d, no Oxford Shirt card", path, res.status)
			}
			return res.body[i : i+strings.Index(res.body[i:], "</li>")]
		}
		before := card("/categories/shirts")
		mustContain(t, "card", before, "Oxford Shirt", "€49.99", "In stock")
		if got := card("/search?q=oxford"); got != before {
			t.Errorf("the search page's card differs from the category's:\n%s\n%s", got, before)
		}

		p := s.prod["oxford-shirt"]
		name := "Oxford <Shirt>"
		if _, err := s.h.Catalog.UpdateProduct(ctx, p.ID, catalog.ProductPatch{Name: &name}); err != nil {
			t.Fatal(err)
		}
		price, stock := int64(3999), 1 // 3 in all: "Only a few left"
		for _, v := range p.Variants {
			if _, err := s.h.Catalog.UpdateVariant(ctx, v.ID, catalog.VariantPatch{PriceCents: &price, Stock: &stock}); err != nil {
				t.Fatal(err)
			}
		}
		after := card("/categories/shirts")
		mustContain(t, "changed card", after, "Oxford &lt;Shirt&gt;", "€39.99", "Only a few left")
		mustNotContain(t, "changed card", after, "€49.99", "In stock", "<Shirt>")
		if got := card("/categories/clothing"); got != after {
			t.Errorf("the parent category shows another card:\n%s\n%s", got, after)
		}
	})
}
