package catalog_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestSortedSearchPastCountCap: a sorted search with more matches than
// CountCap (which SQLite answers by walking the sort's index, issue 15)
// lists its first pages in exactly the sort's order, skipping inactive
// products.
func TestSortedSearchPastCountCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		c, err := cat.CreateCategory(ctx, catalog.NewCategory{Name: "Tools"})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			id      int64
			name    string
			price   int64
			created time.Time
		}
		var nps []catalog.NewProduct
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range catalog.CountCap + 300 {
			np := catalog.NewProduct{Name: fmt.Sprintf("Widget %04d", (i*7919)%2000), CategoryIDs: []int64{c.ID},
				CreatedAt: base.Add(time.Duration((i*31)%500) * time.Minute),
				Variants:  []catalog.NewVariant{{SKU: fmt.Sprint("W", i), PriceCents: int64(100 + (i*37)%900), Stock: 1}}}
			if i%10 == 0 {
				np.Status = "draft"
			}
			nps = append(nps, np)
		}
		ids, err := cat.CreateProducts(ctx, nps)
		if err != nil {
			t.Fatal(err)
		}
		var active []row
		for i, np := range nps {
			if np.Status != "draft" {
				active = append(active, row{ids[i], catalog.NameKey(np.Name), np.Variants[0].PriceCents, np.CreatedAt})
			}
		}
		for _, tc := range []struct {
			sort catalog.Sort
			cmp  func(a, b row) int
		}{
			{catalog.SortPriceAsc, func(a, b row) int { return cmp.Or(cmp.Compare(a.price, b.price), cmp.Compare(a.id, b.id)) }},
			{catalog.SortPriceDesc, func(a, b row) int { return cmp.Or(cmp.Compare(b.price, a.price), cmp.Compare(b.id, a.id)) }},
			{catalog.SortNewest, func(a, b row) int { return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id)) }},
			{catalog.SortName, func(a, b row) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.id, b.id)) }},
		} {
			want := slices.Clone(active)
			slices.SortFunc(want, tc.cmp)
			for _, page := range []int{1, 2, 20} {
				res, err := cat.List(ctx, catalog.ListQuery{Query: "widget", Sort: tc.sort, Page: page, PerPage: 50})
				if err != nil {
					t.Fatal(err)
				}
				if !res.MoreThanTotal {
					t.Errorf("%s page %d: %d matches not over the cap", tc.sort, page, res.Total)
				}
				for i, it := range res.Items {
					if w := want[(page-1)*50+i]; it.ID != w.id {
						t.Fatalf("%s page %d item %d: product %d, want %d", tc.sort, page, i, it.ID, w.id)
					}
				}
			}

			// The category's own listing is counted exactly (its size is
			// stored) from its first page, and its pager reaches the last.
			first, err := cat.List(ctx, catalog.ListQuery{CategoryID: c.ID, Sort: tc.sort, PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			if first.Total != len(active) || first.MoreThanTotal {
				t.Errorf("%s: category page 1 says %d (more: %v), want %d exactly", tc.sort, first.Total, first.MoreThanTotal, len(active))
			}
			last := (len(active) + 49) / 50
			res, err := cat.List(ctx, catalog.ListQuery{CategoryID: c.ID, Sort: tc.sort, Page: last, PerPage: 50})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != len(active) || res.MoreThanTotal || len(res.Items) != len(active)-(last-1)*50 {
				t.Errorf("%s: category total %d (more: %v), %d items on page %d; want %d exactly, %d items",
					tc.sort, res.Total, res.MoreThanTotal, len(res.Items), last, len(active), len(active)-(last-1)*50)
			}
			for i, it := range res.Items {
				if w := want[(last-1)*50+i]; it.ID != w.id {
					t.Fatalf("%s last page item %d: product %d, want %d", tc.sort, i, it.ID, w.id)
				}
			}
		}
	})
}
