package storefront_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var (
	facetLinkRe  = regexp.MustCompile(`<a href="([^"]+)"[^>]*>(?:✓ )?([^<]+)</a> <span class="n">\((\d+)\)</span>`)
	removeLinkRe = regexp.MustCompile(`<a href="([^"]+)" rel="nofollow" aria-label="Remove filter ([^"]+)">`)
	robotsRe     = regexp.MustCompile(`<meta name="robots" content="([^"]+)">`)
)

// facetLinks maps "label (count)" to the link of each facet value shown.
func facetLinks(body string) map[string]string {
	out := map[string]string{}
	for _, m := range facetLinkRe.FindAllStringSubmatch(body, -1) {
		out[m[2]+" ("+m[3]+")"] = html.UnescapeString(m[1])
	}
	return out
}

// TestFacetedCategory: a shopper filters a category by two facets with
// the counts shown, sees both filters active, and removes one; the URLs
// are canonical, deep combinations are noindex, and filtered listings are
// cached for a shorter time (issue 15).
func TestFacetedCategory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/categories/clothing")
		links := facetLinks(res.body)
		brand, ok := links["Acme (2)"]
		if !ok {
			t.Fatalf("clothing has no facet link Acme (2): %v", links)
		}
		if _, ok := links["S (1)"]; !ok {
			t.Fatalf("clothing has no facet link S (1) for the size option: %v", links)
		}

		res = s.get(t, brand)
		if res.status != 200 || !strings.Contains(res.body, "Oxford Shirt") || strings.Contains(res.body, "Wool Sweater") {
			t.Fatalf("GET %s: %d; want the two Acme shirts only", brand, res.status)
		}
		if cc := res.header.Get("Cache-Control"); cc != cachehdr.Search {
			t.Errorf("filtered listing Cache-Control %q, want %q", cc, cachehdr.Search)
		}
		inStock, ok := facetLinks(res.body)["In stock (2)"]
		if !ok {
			t.Fatalf("Acme listing has no In stock (2) link: %v", facetLinks(res.body))
		}
		if inStock != "/categories/clothing?availability=in_stock&brand=Acme" {
			t.Errorf("two-filter link %q is not canonical", inStock)
		}

		res = s.get(t, inStock)
		if m := robotsRe.FindStringSubmatch(res.body); m == nil || m[1] != "noindex, nofollow" {
			t.Errorf("two filters: robots %v, want noindex, nofollow", m)
		}
		removes := map[string]string{}
		for _, m := range removeLinkRe.FindAllStringSubmatch(res.body, -1) {
			removes[m[2]] = html.UnescapeString(m[1])
		}
		if removes["Brand: Acme"] != "/categories/clothing?availability=in_stock" || removes["Availability: In stock"] != "/categories/clothing?brand=Acme" {
			t.Fatalf("remove links %v", removes)
		}
		res = s.get(t, removes["Brand: Acme"])
		if res.status != 200 || !strings.Contains(res.body, "Sock 01") || strings.Contains(res.body, "Wool Sweater") {
			t.Errorf("after removing the brand: %d; want every in-stock item of clothing", res.status)
		}

		// Any other spelling of a filtered listing redirects to the canonical one.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, path := range []string{
			"/categories/clothing?brand=Acme&availability=in_stock",
			"/categories/clothing?availability=in_stock&brand=Acme&brand=Acme",
		} {
			r, err := noFollow.Get(s.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != inStock {
				t.Errorf("GET %s: %d to %q, want 301 to %s", path, r.StatusCode, r.Header.Get("Location"), inStock)
			}
		}

		res = s.get(t, "/categories/clothing?colour=red")
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "availability, brand, price, opt_size") {
			t.Errorf("unknown filter: %d; want 400 listing the filters", res.status)
		}
	})
}
