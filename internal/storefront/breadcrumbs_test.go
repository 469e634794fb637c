package storefront_test

import (
	"regexp"
	"slices"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var crumbRE = regexp.MustCompile(`<li>(?:<a href="([^"]*)">([^<]*)</a>|<span aria-current="page">([^<]*)</span>)</li>`)

// crumbsOf returns the breadcrumb's labels, the current page's included.
func crumbsOf(t *testing.T, body string) []string {
	t.Helper()
	nav := regexp.MustCompile(`(?s)<nav class="crumbs".*?</nav>`).FindString(body)
	if nav == "" {
		t.Fatal("no breadcrumb")
	}
	var out []string
	for _, m := range crumbRE.FindAllStringSubmatch(nav, -1) {
		out = append(out, m[2]+m[3])
	}
	return out
}

// TestBreadcrumbWithACategoryNamedHome: the front page's crumb is not
// repeated by a category named "Home" (issue 9: "Home › Home › Kitchen");
// the category keeps its name and the front page is named for the store.
func TestBreadcrumbWithACategoryNamedHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ctx := t.Context()
		home, err := s.h.Catalog.CreateCategory(ctx, catalog.NewCategory{Slug: "home-living", Name: "Home", Position: 3})
		if err != nil {
			t.Fatal(err)
		}
		kitchen, err := s.h.Catalog.CreateCategory(ctx, catalog.NewCategory{ParentID: home.ID, Slug: "kitchen", Name: "Kitchen"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.h.Catalog.CreateProduct(ctx, catalog.NewProduct{Slug: "kettle", Name: "Kettle", CategoryIDs: []int64{kitchen.ID},
			Variants: []catalog.NewVariant{{SKU: "K-1", Name: "Steel", PriceCents: 3900, Stock: 2}}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path string
			want []string
		}{
			{"/categories/kitchen", []string{"Test Shop", "Home", "Kitchen"}},
			{"/categories/home-living", []string{"Test Shop", "Home"}},
			{"/products/kettle", []string{"Test Shop", "Home", "Kitchen", "Kettle"}},
			// Elsewhere the front page is "Home", as shoppers know it.
			{"/categories/shirts", []string{"Home", "Clothing", "Shirts"}},
			{"/products/oxford-shirt", []string{"Home", "Clothing", "Shirts", "Oxford Shirt"}},
		} {
			res := s.get(t, tc.path)
			if got := crumbsOf(t, res.body); !slices.Equal(got, tc.want) {
				t.Errorf("%s: breadcrumb %q, want %q", tc.path, got, tc.want)
			}
		}
	})
}
