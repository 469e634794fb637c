package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestSearchRankWindow: a search with more matches than the rank window
// ranks the newest window's worth and lists the older ones after it, newest
// first; pages of any size neither skip nor repeat a product, within a
// category and under filters too (issue 15).
func TestSearchRankWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		cat.FacetTTL = -1
		cat.RankWindow = 10
		m := newModel(t, cat, rand.New(rand.NewPCG(7, 7)))
		for _, tc := range []struct {
			category int64
			filters  catalog.Filters
		}{
			{},
			{category: m.cats[0]},
			{filters: catalog.Filters{Availability: []string{string(catalog.InStock)}}},
		} {
			name := fmt.Sprintf("category %d, filters %v", tc.category, tc.filters.Encode())
			var want []int64
			for i := range m.products {
				if m.matches(&m.products[i], tc.category, tc.filters, "") {
					want = append(want, m.products[i].id)
				}
			}
			if len(want) <= cat.RankWindow {
				t.Fatalf("%s: %d matches, too few to test the window", name, len(want))
			}
			for _, per := range []int{3, 7, 10, 100} {
				var got []int64
				for page := 1; len(got) < len(want)+per; page++ {
					res, err := cat.List(ctx, catalog.ListQuery{Query: "product", CategoryID: tc.category,
						Filters: tc.filters, PerPage: per, Page: page})
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Items) == 0 {
						break
					}
					for _, it := range res.Items {
						got = append(got, it.ID)
					}
				}
				ranked, rest := got[:cat.RankWindow], got[cat.RankWindow:]
				newest := slices.Clone(want)
				slices.Sort(newest)
				slices.Reverse(newest)
				if !sameSet(ranked, newest[:cat.RankWindow]) {
					t.Errorf("%s, %d a page: ranked %v, want the newest %v", name, per, ranked, newest[:cat.RankWindow])
				}
				if !slices.Equal(rest, newest[cat.RankWindow:]) {
					t.Errorf("%s, %d a page: after the window %v, want %v", name, per, rest, newest[cat.RankWindow:])
				}
			}
		}
	})
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestSearchFacetsWithinWindow: a search with more matches than the rank
// window counts its facets among the window's matches and says so
// (Partial), so every count is a true lower bound; one within the window
// counts exactly.
func TestSearchFacetsWithinWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		cat.FacetTTL = -1
		cat.RankWindow = 10
		m := newModel(t, cat, rand.New(rand.NewPCG(9, 9)))
		var ids []int64
		for i := range m.products {
			if m.matches(&m.products[i], 0, catalog.Filters{}, "") {
				ids = append(ids, m.products[i].id)
			}
		}
		slices.Sort(ids)
		window := ids[len(ids)-cat.RankWindow:]
		want := map[string]int{}
		for _, id := range window {
			want[m.byID[id].brand]++
		}
		fs, err := cat.Facets(ctx, catalog.ListQuery{Query: "product"})
		if err != nil {
			t.Fatal(err)
		}
		if !fs.Partial {
			t.Errorf("%d matches, window %d: facets not marked partial", len(ids), cat.RankWindow)
		}
		got := map[string]int{}
		for _, f := range fs.Facets {
			if f.Param == catalog.ParamBrand {
				for _, v := range f.Values {
					got[v.Value] = v.Count
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("brand counts %v, want %v (the window's)", got, want)
		}

		cat.RankWindow = len(ids)
		fs, err = cat.Facets(ctx, catalog.ListQuery{Query: "product", Sort: catalog.SortName})
		if err != nil || fs.Partial {
			t.Errorf("all %d matches within the window: partial %v, %v", len(ids), fs.Partial, err)
		}
	})
}
