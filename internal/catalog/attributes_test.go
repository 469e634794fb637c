package catalog_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// materialCounts is the category's Material facet, value → count, as the
// shopper sees it (unfiltered: read from category_facets).
func materialCounts(t *testing.T, cat *catalog.Catalog, category int64) map[string]int {
	t.Helper()
	f, err := cat.Facets(context.Background(), catalog.ListQuery{CategoryID: category})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, fc := range f.Facets {
		if fc.Param == catalog.OptionParamPrefix+"material" {
			for _, v := range fc.Values {
				if v.Count > 0 {
					out[v.Value] = v.Count
				}
			}
		}
	}
	return out
}

// filtered lists the slugs of the category's products with material m.
func filtered(t *testing.T, cat *catalog.Catalog, category int64, m string) []string {
	t.Helper()
	res, err := cat.List(context.Background(), catalog.ListQuery{CategoryID: category,
		Filters: catalog.Filters{Options: map[string][]string{"material": {m}}}})
	if err != nil {
		t.Fatal(err)
	}
	out := slugs(res.Items)
	slices.Sort(out)
	return out
}

// TestAttributesAreFiltersAndFacets: a product's own attributes filter
// and count like its variants' options, through every writer that
// rewrites them (create, product update, variant update, bulk update);
// an attribute its variant also has counts the product once; removing it
// takes the count away (issue 15).
func TestAttributesAreFiltersAndFacets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		cat.FacetTTL = -1
		c, err := cat.CreateCategory(ctx, catalog.NewCategory{Name: "Shirts"})
		if err != nil {
			t.Fatal(err)
		}
		// Typed with stray spaces and mixed case: stored trimmed, in order.
		tee, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Tee", CategoryIDs: []int64{c.ID},
			Attributes: []catalog.Option{{Name: " Material ", Value: "Cotton "}, {Name: "Fit", Value: "Slim"}, {Name: "Origin", Value: "Portugal"}},
			Variants:   []catalog.NewVariant{{SKU: "TEE-1", PriceCents: 1000, Stock: 3, Options: []catalog.Option{{Name: "Size", Value: "M"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []catalog.Option{{Name: "Material", Value: "Cotton"}, {Name: "Fit", Value: "Slim"}, {Name: "Origin", Value: "Portugal"}}
		if got, err := cat.ProductBySlug(ctx, "tee"); err != nil || !slices.Equal(got.Attributes, want) {
			t.Fatalf("ProductBySlug attributes %v (%v), want %v", got.Attributes, err, want)
		}
		// The same key and value as an attribute and as a variant option.
		_, err = cat.CreateProducts(ctx, []catalog.NewProduct{{Name: "Polo", CategoryIDs: []int64{c.ID},
			Attributes: []catalog.Option{{Name: "material", Value: "Cotton"}},
			Variants:   []catalog.NewVariant{{SKU: "POLO-1", PriceCents: 2000, Stock: 1, Options: []catalog.Option{{Name: "Material", Value: "Cotton"}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		check := func(step string, counts map[string]int, cotton []string) {
			t.Helper()
			if got := materialCounts(t, cat, c.ID); !maps.Equal(got, counts) {
				t.Errorf("%s: material facet %v, want %v", step, got, counts)
			}
			if got := filtered(t, cat, c.ID, "Cotton"); !slices.Equal(got, cotton) {
				t.Errorf("%s: opt_material=Cotton lists %v, want %v", step, got, cotton)
			}
			checkCategoryFacets(t, cat, c.ID, step)
		}
		check("created", map[string]int{"Cotton": 2}, []string{"polo", "tee"})

		// A variant's new options leave the product's attributes in place.
		opts := []catalog.Option{{Name: "Size", Value: "L"}}
		if _, err := cat.UpdateVariant(ctx, tee.Variants[0].ID, catalog.VariantPatch{Options: &opts}); err != nil {
			t.Fatal(err)
		}
		check("variant options changed", map[string]int{"Cotton": 2}, []string{"polo", "tee"})
		price := int64(1500)
		if _, err := cat.UpdateMany(ctx, []catalog.ProductUpdate{{ID: tee.ID,
			Variants: []catalog.VariantUpdate{{ID: tee.Variants[0].ID, Patch: catalog.VariantPatch{PriceCents: &price, Options: &opts}}}}}); err != nil {
			t.Fatal(err)
		}
		check("bulk variant update", map[string]int{"Cotton": 2}, []string{"polo", "tee"})

		// Edited: Cotton becomes Linen.
		linen := []catalog.Option{{Name: "Material", Value: "Linen"}, {Name: "Fit", Value: "Slim"}}
		if _, err := cat.UpdateProduct(ctx, tee.ID, catalog.ProductPatch{Attributes: &linen}); err != nil {
			t.Fatal(err)
		}
		check("attribute edited", map[string]int{"Cotton": 1, "Linen": 1}, []string{"polo"})

		// Removed, through a bulk update.
		none := []catalog.Option{}
		if _, err := cat.UpdateMany(ctx, []catalog.ProductUpdate{{ID: tee.ID, Patch: catalog.ProductPatch{Attributes: &none}}}); err != nil {
			t.Fatal(err)
		}
		check("attributes removed", map[string]int{"Cotton": 1}, []string{"polo"})
		if got, err := cat.ProductByID(ctx, tee.ID); err != nil || got.Attributes == nil || len(got.Attributes) != 0 {
			t.Fatalf("after removal: attributes %#v (%v), want an empty list", got.Attributes, err)
		}
		var rows int
		if err := db.Write.QueryRowContext(ctx, `SELECT count(*) FROM product_options WHERE product_id = $1`, tee.ID).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("product_options of the tee: %d rows (%v), want its variant's size alone", rows, err)
		}
	})
}

// TestAttributesAreValidated: bad attributes are refused on create and on
// update, naming the field and saying what to do, and nothing is written.
func TestAttributesAreValidated(t *testing.T) {
	many := make([]catalog.Option, catalog.MaxAttributes+1)
	for i := range many {
		many[i] = catalog.Option{Name: "N" + strings.Repeat("x", i), Value: "v"}
	}
	cases := []struct {
		name  string
		attrs []catalog.Option
		says  string // part of the message
	}{
		{"too many", many, "at most 30 attributes"},
		{"no name", []catalog.Option{{Name: "  ", Value: "Cotton"}}, "needs a name"},
		{"no value", []catalog.Option{{Name: "Material", Value: " "}}, "needs a value"},
		{"long name", []catalog.Option{{Name: strings.Repeat("n", 41), Value: "v"}}, "at most 40 characters"},
		{"long value", []catalog.Option{{Name: "Material", Value: strings.Repeat("é", 101)}}, "at most 100 characters"},
		{"invalid UTF-8", []catalog.Option{{Name: "Material", Value: "Cot\xffton"}}, "plain text"},
		{"control character", []catalog.Option{{Name: "Material", Value: "Cot\nton"}}, "plain text"},
		{"NUL", []catalog.Option{{Name: "Mat\x00erial", Value: "Cotton"}}, "plain text"},
		{"colon in the name", []catalog.Option{{Name: "Material: outer", Value: "Cotton"}}, `cannot hold ":"`},
		{"same key twice", []catalog.Option{{Name: "Shoe Size", Value: "42"}, {Name: "shoe  size", Value: "43"}}, "give each name once"},
	}
	for _, c := range cases {
		_, err := catalog.CleanAttributes(c.attrs)
		if fault.FieldOf(err) != "attributes" || !strings.Contains(fault.MessageOf(err), c.says) {
			t.Errorf("%s: %v, want a fault on attributes saying %q", c.name, err, c.says)
		}
	}
	// At the limits, and HTML or SQL, are fine: they are text.
	ok := []catalog.Option{{Name: strings.Repeat("n", 40), Value: strings.Repeat("v", 100)},
		{Name: "<b>Care</b>", Value: "'; DROP TABLE products; --"}}
	if got, err := catalog.CleanAttributes(ok); err != nil || !slices.Equal(got, ok) {
		t.Errorf("valid attributes: %v, %v", got, err)
	}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cat := catalog.New(db)
		bad := []catalog.Option{{Name: "Material", Value: ""}}
		_, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Tee", Attributes: bad,
			Variants: []catalog.NewVariant{{SKU: "TEE-1", PriceCents: 100}}})
		if fault.FieldOf(err) != "attributes" {
			t.Fatalf("create: %v, want a fault on attributes", err)
		}
		p, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Tee", Attributes: ok,
			Variants: []catalog.NewVariant{{SKU: "TEE-1", PriceCents: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.UpdateProduct(ctx, p.ID, catalog.ProductPatch{Attributes: &bad}); fault.FieldOf(err) != "attributes" {
			t.Fatalf("update: %v, want a fault on attributes", err)
		}
		if _, err := cat.UpdateMany(ctx, []catalog.ProductUpdate{{ID: p.ID, Patch: catalog.ProductPatch{Attributes: &bad}}}); fault.FieldOf(err) != "attributes" {
			t.Fatalf("bulk update: %v, want a fault on attributes", err)
		}
		if got, err := cat.ProductByID(ctx, p.ID); err != nil || !slices.Equal(got.Attributes, ok) {
			t.Fatalf("after refused updates: %v (%v), want %v", got.Attributes, err, ok)
		}
	})
}
