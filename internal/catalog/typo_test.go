package catalog_test

import (
	"context"
	"slices"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestTypoTolerance: a search that matches nothing because of one typo in
// a word of five letters or more is answered for the word meant, and says
// so; shorter words and words the catalog lacks are left as typed, and a
// search that matches is never changed. A product added later brings its
// words (PostgreSQL keeps them by trigger, SQLite in the index).
func TestTypoTolerance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			query, shown string
			want         []string // slugs found after the correction; nil: no correction
		}{
			{"shrit", "shirt", []string{"linen-shirt", "oxford-shirt", "running-shoe"}}, // two letters swapped (the shoe says "shirt")
			{"linen shirtt", "linen shirt", []string{"linen-shirt"}},                    // a letter added
			{"flanel", "flannel", []string{"flannel-overshirt"}},                        // a letter dropped
			{"oxfard", "oxford", []string{"oxford-shirt"}},                              // a letter changed
			{"CÄST ïron pam", "", nil},                                                  // "pam": under five letters
			{"zebra", "", nil},                                                          // no word one edit away
			{"shirt", "", nil},                                                          // matches as typed
		}
		for _, c := range cases {
			q := catalog.ListQuery{Query: c.query}
			cq, shown, ok := f.cat.Correct(ctx, q)
			if c.want == nil {
				if ok {
					t.Errorf("%q: corrected to %q, want it left as typed", c.query, shown)
				}
				continue
			}
			if !ok || shown != c.shown {
				t.Errorf("%q: corrected %v to %q, want %q", c.query, ok, shown, c.shown)
				continue
			}
			res, err := f.cat.List(ctx, cq)
			if err != nil {
				t.Fatal(err)
			}
			got := slugs(res.Items)
			slices.Sort(got)
			if !slices.Equal(got, c.want) || res.Total != len(c.want) {
				t.Errorf("%q as %q found %v (total %d), want %v", c.query, shown, got, res.Total, c.want)
			}
			facets, err := f.cat.Facets(ctx, cq)
			if err != nil || facets.PriceMax == 0 {
				t.Errorf("%q as %q: facets %+v, %v; want the corrected search's", c.query, shown, facets, err)
			}
		}
		// A word added after the start.
		if _, err := f.cat.CreateProduct(ctx, catalog.NewProduct{Name: "Velvet Blazer", Brand: "Acme",
			Variants: []catalog.NewVariant{{SKU: "vb-1", PriceCents: 9900, Stock: 1}}}); err != nil {
			t.Fatal(err)
		}
		if _, shown, ok := f.cat.Correct(ctx, catalog.ListQuery{Query: "blazr"}); !ok || shown != "blazer" {
			t.Errorf("a new product's word: corrected %v to %q, want blazer", ok, shown)
		}
	})
}
