package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// fixture is a small catalog: Clothing › Shirts, Clothing › Shoes, Kitchen.
type fixture struct {
	cat                     *catalog.Catalog
	clothing, shirts, shoes catalog.Category
	kitchen                 catalog.Category
	products                map[string]int64 // slug → id
}

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{cat: catalog.New(db), products: map[string]int64{}}
	mk := func(nc catalog.NewCategory) catalog.Category {
		c, err := f.cat.CreateCategory(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f.clothing = mk(catalog.NewCategory{Name: "Clothing", Position: 1})
	f.shirts = mk(catalog.NewCategory{Name: "Shirts", ParentID: f.clothing.ID})
	f.shoes = mk(catalog.NewCategory{Name: "Shoes", ParentID: f.clothing.ID})
	f.kitchen = mk(catalog.NewCategory{Name: "Kitchen", Position: 2})

	add := func(name, desc string, cat int64, price int64, stock int, age int, featured bool) {
		p, err := f.cat.CreateProduct(ctx, catalog.NewProduct{
			Name: name, Description: desc, Brand: "Acme", Featured: featured,
			CategoryIDs: []int64{cat}, CreatedAt: base.Add(time.Duration(age) * time.Hour),
			Variants: []catalog.NewVariant{
				{SKU: catalog.Slugify(name) + "-s", Name: "Small", Options: []catalog.Option{{Name: "size", Value: "S"}}, PriceCents: price, Stock: stock},
				{SKU: catalog.Slugify(name) + "-l", Name: "Large", Options: []catalog.Option{{Name: "size", Value: "L"}}, PriceCents: price + 500, Stock: 0},
			},
			Images: []catalog.Image{{Key: strings.Repeat("a", 64) + ".jpg", Alt: name, Width: 600, Height: 600}},
		})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		f.products[p.Slug] = p.ID
	}
	add("Linen Shirt", "A breezy shirt for summer days.", f.shirts.ID, 3900, 20, 1, false)
	add("Oxford Shirt", "Crisp cotton, button-down collar.", f.shirts.ID, 4900, 3, 2, true)
	add("Flannel Overshirt", "Warm and soft, made of brushed cotton.", f.shirts.ID, 5900, 0, 3, false)
	add("Running Shoe", "Light shoe with a cushioned sole; pairs with any shirt.", f.shoes.ID, 8900, 12, 4, false)
	add("Cast Iron Pan", "Sears steak, bakes bread.", f.kitchen.ID, 2900, 9, 5, true)
	return f
}

func slugs(items []catalog.Summary) []string {
	var out []string
	for _, s := range items {
		out = append(out, s.Slug)
	}
	return out
}

func TestProductBySlug(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p, err := f.cat.ProductBySlug(context.Background(), "oxford-shirt")
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Oxford Shirt" || p.PriceCents != 4900 || p.Currency != "EUR" || p.Stock != 3 {
			t.Errorf("product = %+v", p)
		}
		if p.Availability() != catalog.LowOnStock {
			t.Errorf("availability = %s, want low (stock 3)", p.Availability())
		}
		if len(p.Variants) != 2 || p.Variants[1].Availability() != catalog.OutOfStock || p.Variants[0].Options[0] != (catalog.Option{Name: "size", Value: "S"}) {
			t.Errorf("variants = %+v", p.Variants)
		}
		if len(p.Images) != 1 || p.Images[0].Width != 600 {
			t.Errorf("images = %+v", p.Images)
		}
		var crumbs []string
		for _, c := range p.Breadcrumb {
			crumbs = append(crumbs, c.Slug)
		}
		if !slices.Equal(crumbs, []string{"clothing", "shirts"}) {
			t.Errorf("breadcrumb = %v", crumbs)
		}
		for _, slug := range []string{"nope", "", "../etc/passwd", "\xff\xfe", "a\x00b", strings.Repeat("x", 500)} {
			if _, err := f.cat.ProductBySlug(context.Background(), slug); fault.CodeOf(err) != fault.NotFound {
				t.Errorf("ProductBySlug(%q) = %v, want not_found", slug, err)
			}
		}
	})
}

func TestListCategoryIncludesSubcategoriesInEverySort(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			cat  int64
			sort catalog.Sort
			want []string
		}{
			{f.clothing.ID, catalog.SortPriceAsc, []string{"linen-shirt", "oxford-shirt", "flannel-overshirt", "running-shoe"}},
			{f.clothing.ID, catalog.SortPriceDesc, []string{"running-shoe", "flannel-overshirt", "oxford-shirt", "linen-shirt"}},
			{f.clothing.ID, catalog.SortNewest, []string{"running-shoe", "flannel-overshirt", "oxford-shirt", "linen-shirt"}},
			{f.clothing.ID, catalog.SortName, []string{"flannel-overshirt", "linen-shirt", "oxford-shirt", "running-shoe"}},
			{f.clothing.ID, catalog.SortRelevance, []string{"oxford-shirt", "linen-shirt", "flannel-overshirt", "running-shoe"}},
			{f.shirts.ID, catalog.SortPriceAsc, []string{"linen-shirt", "oxford-shirt", "flannel-overshirt"}},
			{0, catalog.SortPriceAsc, []string{"cast-iron-pan", "linen-shirt", "oxford-shirt", "flannel-overshirt", "running-shoe"}},
			{0, catalog.SortRelevance, []string{"oxford-shirt", "cast-iron-pan", "linen-shirt", "flannel-overshirt", "running-shoe"}},
		}
		for _, c := range cases {
			res, err := f.cat.List(ctx, catalog.ListQuery{CategoryID: c.cat, Sort: c.sort})
			if err != nil {
				t.Fatal(err)
			}
			if got := slugs(res.Items); !slices.Equal(got, c.want) || res.Total != len(c.want) {
				t.Errorf("category %d sort %s: got %v (total %d), want %v", c.cat, c.sort, got, res.Total, c.want)
			}
		}
	})
}

func TestListPagesAreDisjointAndComplete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, s := range catalog.Sorts {
			var seen []string
			for page := 1; page <= 3; page++ {
				res, err := f.cat.List(ctx, catalog.ListQuery{Sort: s, Page: page, PerPage: 2})
				if err != nil {
					t.Fatal(err)
				}
				if res.Pages() != 3 {
					t.Errorf("pages = %d, want 3", res.Pages())
				}
				seen = append(seen, slugs(res.Items)...)
			}
			all, _ := f.cat.List(ctx, catalog.ListQuery{Sort: s})
			if !slices.Equal(seen, slugs(all.Items)) {
				t.Errorf("sort %s: pages %v differ from the full listing %v", s, seen, slugs(all.Items))
			}
			past, err := f.cat.List(ctx, catalog.ListQuery{Sort: s, Page: 50})
			if err != nil || len(past.Items) != 0 || past.Total != 5 {
				t.Errorf("page past the end: %v items, total %d, err %v", len(past.Items), past.Total, err)
			}
		}
	})
}

func TestSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cases := []struct {
			name string
			q    catalog.ListQuery
			want []string
		}{
			// A name match ranks above a description match.
			{"relevance", catalog.ListQuery{Query: "shirt"}, []string{"linen-shirt", "oxford-shirt", "running-shoe"}},
			{"prefix", catalog.ListQuery{Query: "flann"}, []string{"flannel-overshirt"}},
			{"case and accents", catalog.ListQuery{Query: "CÄST ïron"}, []string{"cast-iron-pan"}},
			{"all words must match", catalog.ListQuery{Query: "cotton warm"}, []string{"flannel-overshirt"}},
			{"within a category", catalog.ListQuery{Query: "shirt", CategoryID: f.shirts.ID}, []string{"linen-shirt", "oxford-shirt"}},
			{"sorted by price", catalog.ListQuery{Query: "cotton", Sort: catalog.SortPriceDesc}, []string{"flannel-overshirt", "oxford-shirt"}},
			{"brand", catalog.ListQuery{Query: "acme", Sort: catalog.SortPriceAsc}, []string{"cast-iron-pan", "linen-shirt", "oxford-shirt", "flannel-overshirt", "running-shoe"}},
			{"no match", catalog.ListQuery{Query: "zebra"}, nil},
		}
		for _, c := range cases {
			res, err := f.cat.List(ctx, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got := slugs(res.Items)
			if c.name == "relevance" {
				// Both name matches come first, in either order; the
				// description-only match last.
				if len(got) != 3 || got[2] != "running-shoe" {
					t.Errorf("%s: got %v, want the name matches before running-shoe", c.name, got)
				}
				continue
			}
			if !slices.Equal(got, c.want) || res.Total != len(c.want) {
				t.Errorf("%s: got %v (total %d), want %v", c.name, got, res.Total, c.want)
			}
		}
	})
}

func TestHostileSearchIsHarmless(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, q := range []string{
			`'; DROP TABLE products; --`, `"shirt`, `shirt*`, `(shirt OR`, `NEAR(shirt pan)`, `name:shirt`,
			`shirt & | ! :*`, `<script>alert(1)</script>`, `***`, `"`, `-shirt`, `^shirt`, `shirt AND NOT pan`,
			"\x00shirt", `\'`, `%_%`, strings.Repeat("a ", 100),
		} {
			res, err := f.cat.List(context.Background(), catalog.ListQuery{Query: q})
			if err != nil {
				t.Errorf("query %q: %v", q, err)
			}
			if _, err := f.cat.CountProducts(context.Background()); err != nil {
				t.Fatalf("after %q the products table is gone: %v", q, err)
			}
			_ = res
		}
	})
}

func TestListRejectsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cases := []struct {
			q     catalog.ListQuery
			field string
		}{
			{catalog.ListQuery{Sort: "price; DROP"}, "sort"},
			{catalog.ListQuery{Page: -1}, "page"},
			{catalog.ListQuery{Page: catalog.MaxPage + 1}, "page"},
			{catalog.ListQuery{PerPage: -5}, "per_page"},
			{catalog.ListQuery{Query: strings.Repeat("x", 201)}, "q"},
			{catalog.ListQuery{Query: "\xff\xfe"}, "q"},
		}
		for _, c := range cases {
			_, err := f.cat.List(context.Background(), c.q)
			if fault.CodeOf(err) != fault.Invalid || fault.FieldOf(err) != c.field {
				t.Errorf("%+v: err %v, want invalid %s", c.q, err, c.field)
			}
		}
		res, err := f.cat.List(context.Background(), catalog.ListQuery{PerPage: 100000})
		if err != nil || res.PerPage != catalog.MaxPerPage {
			t.Errorf("per_page 100000: got %d (err %v), want clamp to %d", res.PerPage, err, catalog.MaxPerPage)
		}
	})
}

func TestWritesValidateAndStayAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		v := []catalog.NewVariant{{SKU: "new-1", PriceCents: 100, Stock: 1}}
		cases := []struct {
			name  string
			np    catalog.NewProduct
			field string
		}{
			{"duplicate slug", catalog.NewProduct{Name: "Linen Shirt", Variants: v}, "slug"},
			{"duplicate sku", catalog.NewProduct{Name: "Other", Variants: []catalog.NewVariant{{SKU: "linen-shirt-s", PriceCents: 1}}}, "variants.sku"},
			{"no variants", catalog.NewProduct{Name: "Empty"}, "variants"},
			{"negative price", catalog.NewProduct{Name: "Neg", Variants: []catalog.NewVariant{{SKU: "n", PriceCents: -1}}}, "variants.price_cents"},
			{"unknown category", catalog.NewProduct{Name: "Lost", CategoryIDs: []int64{9999}, Variants: v}, "category_ids"},
			{"bad utf-8", catalog.NewProduct{Name: "Bad \xff", Slug: "bad", Variants: v}, "name"},
			{"long name", catalog.NewProduct{Name: strings.Repeat("n", 201), Slug: "long", Variants: v}, "name"},
		}
		for _, c := range cases {
			_, err := f.cat.CreateProduct(ctx, c.np)
			if fault.CodeOf(err) != fault.Invalid || fault.FieldOf(err) != c.field {
				t.Errorf("%s: err %v, want invalid %s", c.name, err, c.field)
			}
		}
		// A batch with one bad product writes none of them.
		batch := []catalog.NewProduct{
			{Name: "Good One", Variants: []catalog.NewVariant{{SKU: "good-1", PriceCents: 1}}},
			{Name: "Bad Two", Variants: []catalog.NewVariant{{SKU: "linen-shirt-s", PriceCents: 1}}},
		}
		if _, err := f.cat.CreateProducts(ctx, batch); err == nil {
			t.Fatal("batch with a duplicate SKU succeeded")
		}
		if n, _ := f.cat.CountProducts(ctx); n != 5 {
			t.Errorf("after a failed batch there are %d products, want 5", n)
		}
		if _, err := f.cat.CreateCategory(ctx, catalog.NewCategory{Name: "Shirts"}); fault.FieldOf(err) != "slug" {
			t.Errorf("duplicate category slug: %v", err)
		}
		if _, err := f.cat.CreateCategory(ctx, catalog.NewCategory{Name: "Orphan", ParentID: 999}); fault.FieldOf(err) != "parent_id" {
			t.Errorf("unknown parent: %v", err)
		}
	})
}

func TestDraftsAreHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		_, err := f.cat.CreateProduct(ctx, catalog.NewProduct{Name: "Secret Shirt", Status: "draft", CategoryIDs: []int64{f.shirts.ID},
			Variants: []catalog.NewVariant{{SKU: "secret", PriceCents: 1, Stock: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.ProductBySlug(ctx, "secret-shirt"); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("draft product page: %v", err)
		}
		for _, q := range []catalog.ListQuery{{CategoryID: f.shirts.ID}, {Query: "secret"}, {}} {
			res, _ := f.cat.List(ctx, q)
			if slices.Contains(slugs(res.Items), "secret-shirt") {
				t.Errorf("draft listed by %+v", q)
			}
		}
		if n, _ := f.cat.SitemapCount(ctx); n != 5 {
			t.Errorf("sitemap counts %d, want 5 active", n)
		}
	})
}

func TestTreeAndCategoryBySlug(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tree, err := f.cat.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, root := range tree {
			got = append(got, root.Slug)
			for _, ch := range root.Children {
				got = append(got, root.Slug+">"+ch.Slug)
			}
		}
		if want := []string{"clothing", "clothing>shirts", "clothing>shoes", "kitchen"}; !slices.Equal(got, want) {
			t.Errorf("tree = %v, want %v", got, want)
		}
		c, crumbs, err := f.cat.CategoryBySlug(ctx, "shirts")
		if err != nil || c.ID != f.shirts.ID || len(crumbs) != 2 || crumbs[0].Slug != "clothing" || crumbs[1].Slug != "shirts" {
			t.Errorf("CategoryBySlug(shirts) = %+v %+v %v", c, crumbs, err)
		}
		c, _, _ = f.cat.CategoryBySlug(ctx, "clothing")
		if len(c.Children) != 2 {
			t.Errorf("clothing has %d children, want 2", len(c.Children))
		}
		if _, _, err := f.cat.CategoryBySlug(ctx, "nope"); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("unknown category: %v", err)
		}
	})
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Crème Brûlée":             "creme-brulee",
		"  Hello,  World!! ":       "hello-world",
		"T-Shirt (XL) 2-pack":      "t-shirt-xl-2-pack",
		"日本":                       "",
		strings.Repeat("ab ", 100): strings.TrimRight(strings.Repeat("ab-", 40), "-"),
	} {
		if got := catalog.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if got := catalog.Slugify(in); got != "" && !catalog.ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q is not a valid slug", in, got)
		}
	}
	_ = fmt.Sprint()
}
