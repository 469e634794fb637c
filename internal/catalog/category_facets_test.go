package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestCategoryFacetsFollowWrites: the precomputed facet counts of every
// category's unfiltered listing (migration 0012) equal the live count after
// each kind of write that can change them: a price or stock change through
// the admin and through a bulk update, a sale made straight in SQL as
// checkout does, a brand change, an archived product, new options,
// product attributes added and removed, a category move and a category
// deleted (issue 15).
func TestCategoryFacetsFollowWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(12, 12))
		cat := catalog.New(db)
		cat.FacetTTL = -1
		m := newModel(t, cat, r)
		product := func(i int) *catalog.Product {
			t.Helper()
			p, err := cat.ProductByID(ctx, m.products[i].id)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		str := func(s string) *string { return &s }
		num := func(n int) *int { return &n }
		cents := func(n int64) *int64 { return &n }
		writes := []struct {
			name string
			do   func() error
		}{
			{"price change", func() error {
				_, err := cat.UpdateVariant(ctx, product(0).Variants[0].ID, catalog.VariantPatch{PriceCents: cents(99_00)})
				return err
			}},
			{"out of stock", func() error {
				for _, v := range product(1).Variants {
					if _, err := cat.UpdateVariant(ctx, v.ID, catalog.VariantPatch{Stock: num(0)}); err != nil {
						return err
					}
				}
				return nil
			}},
			{"back in stock", func() error {
				_, err := cat.UpdateVariant(ctx, product(1).Variants[0].ID, catalog.VariantPatch{Stock: num(5)})
				return err
			}},
			{"sale in SQL, as checkout makes it", func() error {
				_, err := db.Write.ExecContext(ctx, `UPDATE products SET stock = 0 WHERE id = $1`, m.products[2].id)
				return err
			}},
			{"brand change", func() error {
				_, err := cat.UpdateProduct(ctx, m.products[3].id, catalog.ProductPatch{Brand: str("Zephyr")})
				return err
			}},
			{"archived", func() error {
				_, err := cat.UpdateProduct(ctx, m.products[4].id, catalog.ProductPatch{Status: str("archived")})
				return err
			}},
			{"reactivated", func() error {
				_, err := cat.UpdateProduct(ctx, m.products[4].id, catalog.ProductPatch{Status: str("active")})
				return err
			}},
			{"new option", func() error {
				opts := []catalog.Option{{Name: "Material", Value: "Wool"}, {Name: "Size", Value: "XXL"}}
				_, err := cat.UpdateVariant(ctx, product(5).Variants[0].ID, catalog.VariantPatch{Options: &opts})
				return err
			}},
			{"attributes added", func() error {
				attrs := []catalog.Option{{Name: "Material", Value: "Silk"}, {Name: "Origin", Value: "Portugal"}}
				_, err := cat.UpdateProduct(ctx, m.products[5].id, catalog.ProductPatch{Attributes: &attrs})
				return err
			}},
			{"an attribute removed", func() error {
				attrs := []catalog.Option{{Name: "Origin", Value: "Portugal"}}
				_, err := cat.UpdateProduct(ctx, m.products[5].id, catalog.ProductPatch{Attributes: &attrs})
				return err
			}},
			{"new variant", func() error {
				_, err := cat.AddVariant(ctx, m.products[6].id, catalog.NewVariant{SKU: "NEW-1", PriceCents: 100,
					Stock: 3, Options: []catalog.Option{{Name: "Colour", Value: "Gold"}}})
				return err
			}},
			{"product moved to other categories", func() error {
				ids := []int64{m.cats[5]}
				_, err := cat.UpdateProduct(ctx, m.products[7].id, catalog.ProductPatch{CategoryIDs: &ids})
				return err
			}},
			{"bulk update", func() error {
				var ups []catalog.ProductUpdate
				for i := 8; i < 40; i++ {
					p := product(i)
					u := catalog.ProductUpdate{ID: p.ID}
					for _, v := range p.Variants {
						u.Variants = append(u.Variants, catalog.VariantUpdate{ID: v.ID,
							Patch: catalog.VariantPatch{Stock: num(i % 2), PriceCents: cents(int64(100 * i))}})
					}
					if i%5 == 0 {
						u.Patch.Brand = str("Bulk")
					}
					if i%7 == 0 {
						u.Patch.Status = str("archived")
					}
					ups = append(ups, u)
				}
				_, err := cat.UpdateMany(ctx, ups)
				return err
			}},
			{"category moved", func() error {
				_, err := cat.UpdateCategory(ctx, m.cats[5], catalog.CategoryPatch{ParentID: &m.cats[1]})
				return err
			}},
			{"category deleted", func() error {
				return cat.DeleteCategory(ctx, m.cats[4])
			}},
		}
		for _, w := range writes {
			if err := w.do(); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			for _, c := range m.cats {
				checkCategoryFacets(t, cat, c, w.name)
			}
		}
	})
}

// checkCategoryFacets compares the precomputed facets of category c with
// the live count: a price filter that every product passes makes Facets
// count live, and leaves every count (and the price range, which ignores
// its own filter) as the unfiltered listing's.
func checkCategoryFacets(t *testing.T, cat *catalog.Catalog, c int64, after string) {
	t.Helper()
	ctx := context.Background()
	stored, err := cat.Facets(ctx, catalog.ListQuery{CategoryID: c})
	if err != nil {
		t.Fatalf("after %s: category %d: %v", after, c, err)
	}
	live, err := cat.Facets(ctx, catalog.ListQuery{CategoryID: c, Filters: catalog.Filters{PriceMax: catalog.MaxPriceCents}})
	if err != nil {
		t.Fatalf("after %s: category %d: %v", after, c, err)
	}
	if !reflect.DeepEqual(stored, live) {
		t.Errorf("after %s: category %d:\nstored %s\nlive   %s", after, c, facetString(stored), facetString(live))
	}
	// Filtered on one facet, that facet is read from the stored counts.
	for _, fc := range stored.Facets {
		for _, v := range fc.Values[:min(1, len(fc.Values))] {
			one := catalog.Filters{}.Toggle(fc.Param, v.Value)
			two := one
			two.PriceMax = catalog.MaxPriceCents
			got, err := cat.Facets(ctx, catalog.ListQuery{CategoryID: c, Filters: one})
			if err != nil {
				t.Fatal(err)
			}
			want, err := cat.Facets(ctx, catalog.ListQuery{CategoryID: c, Filters: two})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after %s: category %d, %s=%s:\nstored %s\nlive   %s", after, c, fc.Param, v.Value, facetString(got), facetString(want))
			}
		}
	}
}

func facetString(f catalog.Facets) string {
	s := fmt.Sprintf("price %d-%d", f.PriceMin, f.PriceMax)
	for _, fc := range f.Facets {
		s += " " + fc.Param + ":"
		for _, v := range fc.Values {
			s += fmt.Sprintf(" %s=%d", v.Value, v.Count)
		}
	}
	return s
}
