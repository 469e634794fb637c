package catalog_test

import (
	"context"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestSuggestFollowsNames: suggest reads its own index of names (SQLite:
// migration 0012, PostgreSQL: 0014), so words of descriptions and brands
// suggest nothing; a rename, an archived product and a deleted one are
// reflected at once, and a one-letter prefix finds names by any word.
func TestSuggestFollowsNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		p, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Copper Kettle", Brand: "Tinsmith",
			Description: "Tested on gas and induction.",
			Variants:    []catalog.NewVariant{{SKU: "K1", PriceCents: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		suggest := func(q string) []string {
			t.Helper()
			got, err := cat.Suggest(ctx, q, catalog.MaxSuggestions)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			return names
		}
		str := func(s string) *string { return &s }
		steps := []struct {
			name  string
			patch catalog.ProductPatch
			q     string
			want  int
		}{
			{"created", catalog.ProductPatch{}, "k", 1},
			{"created", catalog.ProductPatch{}, "cop", 1},
			// Names only: words of the description and the brand suggest nothing.
			{"created", catalog.ProductPatch{}, "tes", 0},
			{"created", catalog.ProductPatch{}, "tinsm", 0},
			{"renamed", catalog.ProductPatch{Name: str("Brass Kettle")}, "cop", 0},
			{"renamed", catalog.ProductPatch{}, "bra ke", 1},
			{"archived", catalog.ProductPatch{Status: str("archived")}, "bra", 0},
			{"reactivated", catalog.ProductPatch{Status: str("active")}, "b", 1},
		}
		for _, s := range steps {
			if s.patch != (catalog.ProductPatch{}) {
				if _, err := cat.UpdateProduct(ctx, p.ID, s.patch); err != nil {
					t.Fatal(err)
				}
			}
			if got := suggest(s.q); len(got) != s.want {
				t.Errorf("%s: suggest %q = %v, want %d", s.name, s.q, got, s.want)
			}
		}
	})
}
