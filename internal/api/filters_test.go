package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestFilterValidation: filter input is validated like every other
// parameter (issue 15): unknown facets, bad ranges, 1,000 values and
// injection attempts get a 400 that says what is allowed.
func TestFilterValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		many := url.Values{"brand": make([]string, 1000)}
		for i := range many["brand"] {
			many["brand"][i] = "b" + strings.Repeat("x", i%7)
		}
		tests := []struct {
			name, query, field, says string
		}{
			{"unknown facet", "colourz=red", "colourz", "brand"},
			{"unknown option", "opt_flavour=mint", "opt_flavour", "opt_size"},
			{"price not a range", "price=cheap", "price", "10-50"},
			{"price reversed", "price=50-10", "price", "starts above"},
			{"price negative", "price=-5-10", "price", "10-50"},
			{"price twice", "price=1-2&price=3-4", "price", "one price range"},
			{"1,000 brand values", many.Encode(), "brand", "at most 20"},
			{"unknown availability", "availability=maybe", "availability", "in_stock or out_of_stock"},
			{"injection as a facet name", url.Values{"brand') OR 1=1 --": {"x"}}.Encode(), "", "availability, brand, price, opt_size"},
			{"NUL in a value", "brand=%00", "brand", "1 to 100 characters"},
		}
		for _, tc := range tests {
			res := f.do(t, "GET", "/api/v1/products?"+tc.query)
			var e errorJSON
			res.decode(t, &e)
			if res.status != http.StatusBadRequest || e.Error.Code != "invalid" ||
				tc.field != "" && e.Error.Field != tc.field || !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("%s: %d %+v, want 400 on %q saying %q", tc.name, res.status, e.Error, tc.field, tc.says)
			}
		}
		// Campaign links carry tracking parameters the edge leaves out of
		// its key (cachehdr.Tracking): a listing ignores them, or every ad
		// click would land on a 400.
		for _, q := range []string{"gclid=abc", "fbclid=x", "utm_source=news&utm_medium=mail", "brand=Acme&msclkid=1"} {
			if res := f.do(t, "GET", "/api/v1/products?"+q); res.status != http.StatusOK {
				t.Errorf("GET /api/v1/products?%s: %d, want 200 (tracking parameters are ignored)", q, res.status)
			}
		}
		// An injection attempt as a value is just a value that matches nothing.
		res := f.do(t, "GET", "/api/v1/products?"+url.Values{"brand": {"x' OR '1'='1"}}.Encode())
		var l listJSON
		res.decode(t, &l)
		if res.status != http.StatusOK || l.Total != 0 {
			t.Errorf("injection as a brand: %d, %d products; want 200 and none", res.status, l.Total)
		}
	})
}

// TestFilteredListingAndFacets: the API filters by brand, availability,
// price and option, and facets=1 counts each value.
func TestFilteredListingAndFacets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var out struct {
			listJSON
			Filters string
			Facets  []struct {
				Param  string
				Values []struct {
					Value    string
					Count    int
					Selected bool
				}
			}
		}
		for _, tc := range []struct {
			query, filters string
			slugs          string
		}{
			{"opt_size=M&brand=Acme", "brand=Acme&opt_size=M", "blue-shirt"},
			{"availability=in_stock", "availability=in_stock", "red-shirt blue-shirt"},
			{"availability=out_of_stock&category=kitchen", "availability=out_of_stock", "chef-knife"},
			{"price=20-30", "price=20-30", "blue-shirt"},
			{"price=-20", "price=-20", "red-shirt"},
		} {
			res := f.do(t, "GET", "/api/v1/products?sort=price_asc&facets=1&"+tc.query)
			out.Facets = nil
			res.decode(t, &out)
			if res.status != 200 || strings.Join(out.slugs(), " ") != tc.slugs || out.Filters != tc.filters {
				t.Errorf("%s: %d %v filters %q, want %s and %q", tc.query, res.status, out.slugs(), out.Filters, tc.slugs, tc.filters)
			}
		}
		res := f.do(t, "GET", "/api/v1/products?facets=1&category=clothing&availability=in_stock")
		res.decode(t, &out)
		counts := map[string]int{}
		for _, fc := range out.Facets {
			for _, v := range fc.Values {
				counts[fc.Param+"="+v.Value] = v.Count
			}
		}
		// Availability counts ignore the availability filter itself.
		want := map[string]int{"availability=in_stock": 2, "availability=out_of_stock": 0, "brand=Acme": 1, "opt_size=S": 1, "opt_size=M": 1}
		for k, n := range want {
			if counts[k] != n {
				t.Errorf("facet %s counts %d, want %d (all: %v)", k, counts[k], n, counts)
			}
		}
	})
}

// TestSuggest: as-you-type completions match the name by prefix.
func TestSuggest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		var out struct {
			Suggestions []struct{ Name, Slug, URL string }
		}
		for q, want := range map[string]string{"shi": "2", "blue sh": "Blue Shirt", "kni": "Chef Knife", "pan": "0", "zzz": "0", "": "0"} {
			res := f.do(t, "GET", "/api/v1/search/suggest?q="+url.QueryEscape(q))
			out.Suggestions = nil
			res.decode(t, &out)
			var names []string
			for _, s := range out.Suggestions {
				names = append(names, s.Name)
			}
			got := strings.Join(names, ",")
			if want >= "0" && want <= "9" {
				got = string(rune('0' + len(names)))
			}
			if res.status != 200 || got != want {
				t.Errorf("suggest %q: %d %q, want %q", q, res.status, got, want)
			}
		}
	})
}
