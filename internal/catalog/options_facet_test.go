package catalog_test

import (
	"context"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestAnOptionChangeMovesTheProductBetweenFilters: recolouring a variant,
// and nothing else, moves its product from the Red filter to the Blue
// one, whether the admin changes the variant or a CSV batch does.
func TestAnOptionChangeMovesTheProductBetweenFilters(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, path := range []string{"UpdateVariant", "UpdateMany"} {
			t.Run(string(d)+"/"+path, func(t *testing.T) {
				ctx := context.Background()
				cat := catalog.New(storetest.Open(t, d))
				c, err := cat.CreateCategory(ctx, catalog.NewCategory{Name: "Mugs"})
				if err != nil {
					t.Fatal(err)
				}
				p, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Mug", CategoryIDs: []int64{c.ID},
					Variants: []catalog.NewVariant{{SKU: "MUG-1", PriceCents: 900, Stock: 3, Options: []catalog.Option{{Name: "Colour", Value: "Red"}}}}})
				if err != nil {
					t.Fatal(err)
				}
				blue := []catalog.Option{{Name: "Colour", Value: "Blue"}}
				patch := catalog.VariantPatch{Options: &blue}
				if path == "UpdateVariant" {
					_, err = cat.UpdateVariant(ctx, p.Variants[0].ID, patch)
				} else {
					_, err = cat.UpdateMany(ctx, []catalog.ProductUpdate{{ID: p.ID, Variants: []catalog.VariantUpdate{{ID: p.Variants[0].ID, Patch: patch}}}})
				}
				if err != nil {
					t.Fatal(err)
				}
				for colour, want := range map[string]int{"Blue": 1, "Red": 0} {
					res, err := cat.List(ctx, catalog.ListQuery{CategoryID: c.ID, Filters: catalog.Filters{Options: map[string][]string{"colour": {colour}}}})
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Items) != want {
						t.Errorf("filtered by %s: %d products, want %d", colour, len(res.Items), want)
					}
				}
			})
		}
	}
}
