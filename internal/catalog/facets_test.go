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

// model is a random catalog kept in memory as well: the oracle that facet
// counts and filtered listings are checked against by brute force.
type model struct {
	cats     []int64         // category ids; cats[0] and cats[1] are roots
	parent   map[int64]int64 // category → parent (0 for a root)
	products []modelProduct  // every product, any status
	byID     map[int64]*modelProduct
	options  map[string]bool // option keys in use
}

type modelProduct struct {
	id      int64
	active  bool
	brand   string
	price   int64 // lowest variant price, cents
	stock   int
	cats    []int64
	options map[string][]string // key → values
}

var (
	modelBrands    = []string{"Acme", "Borealis", "Castor", "Dune"}
	modelSizes     = []string{"S", "M", "L", "XL"}
	modelColours   = []string{"Red", "Navy", "Sea Green"}
	modelMaterials = []string{"Cotton", "Wool", "Linen"}
)

func newModel(t *testing.T, cat *catalog.Catalog, r *rand.Rand) *model {
	t.Helper()
	ctx := context.Background()
	m := &model{parent: map[int64]int64{}, byID: map[int64]*modelProduct{}, options: map[string]bool{}}
	for i, parentIdx := range []int{-1, -1, 0, 0, 1, 2} {
		nc := catalog.NewCategory{Name: fmt.Sprintf("Category %d", i)}
		if parentIdx >= 0 {
			nc.ParentID = m.cats[parentIdx]
		}
		c, err := cat.CreateCategory(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		m.cats = append(m.cats, c.ID)
		m.parent[c.ID] = nc.ParentID
	}
	var nps []catalog.NewProduct
	for i := range 120 {
		np := catalog.NewProduct{
			Name:        fmt.Sprintf("Product %d", i),
			Brand:       modelBrands[r.IntN(len(modelBrands))],
			CategoryIDs: []int64{m.cats[r.IntN(len(m.cats))]},
		}
		if r.IntN(8) == 0 {
			np.Status = "draft"
		}
		if r.IntN(4) == 0 {
			np.CategoryIDs = append(np.CategoryIDs, m.cats[r.IntN(len(m.cats))])
		}
		colour := modelColours[r.IntN(len(modelColours))]
		// Product attributes: a material of its own, and sometimes a
		// colour that its variants may name too (one facet value then).
		switch r.IntN(4) {
		case 0:
			np.Attributes = []catalog.Option{{Name: "Material", Value: modelMaterials[r.IntN(len(modelMaterials))]}}
		case 1:
			np.Attributes = []catalog.Option{{Name: "Material", Value: modelMaterials[r.IntN(len(modelMaterials))]},
				{Name: "colour", Value: modelColours[r.IntN(len(modelColours))]}}
		}
		for j, size := range modelSizes[:1+r.IntN(len(modelSizes))] {
			v := catalog.NewVariant{SKU: fmt.Sprintf("P%d-%d", i, j), PriceCents: int64(500 + r.IntN(20)*250), Stock: r.IntN(3)}
			switch r.IntN(3) {
			case 0:
				v.Options = []catalog.Option{{Name: "Size", Value: size}, {Name: "Colour", Value: colour}}
			case 1:
				v.Options = []catalog.Option{{Name: "Size", Value: size}}
			}
			np.Variants = append(np.Variants, v)
		}
		nps = append(nps, np)
	}
	ids, err := cat.CreateProducts(ctx, nps)
	if err != nil {
		t.Fatal(err)
	}
	for i, np := range nps {
		p := modelProduct{id: ids[i], active: np.Status != "draft", brand: np.Brand, price: np.Variants[0].PriceCents,
			cats: np.CategoryIDs, options: map[string][]string{}}
		all := [][]catalog.Option{np.Attributes}
		for _, v := range np.Variants {
			p.price = min(p.price, v.PriceCents)
			p.stock += v.Stock
			all = append(all, v.Options)
		}
		for _, opts := range all {
			for _, o := range opts {
				k := catalog.OptionKey(o.Name)
				m.options[k] = true
				if !slices.Contains(p.options[k], o.Value) {
					p.options[k] = append(p.options[k], o.Value)
				}
			}
		}
		m.products = append(m.products, p)
	}
	for i := range m.products {
		m.byID[m.products[i].id] = &m.products[i]
	}
	return m
}

// inCategory: the product is linked to cat or to one of its descendants.
func (m *model) inCategory(p *modelProduct, cat int64) bool {
	for _, c := range p.cats {
		for ; c != 0; c = m.parent[c] {
			if c == cat {
				return true
			}
		}
	}
	return false
}

// matches applies f except the facet named by except.
func (m *model) matches(p *modelProduct, cat int64, f catalog.Filters, except string) bool {
	if !p.active || cat != 0 && !m.inCategory(p, cat) {
		return false
	}
	if except != catalog.ParamPrice && (f.PriceMin > 0 && p.price < f.PriceMin || f.PriceMax > 0 && p.price > f.PriceMax) {
		return false
	}
	if except != catalog.ParamBrand && len(f.Brands) > 0 && !slices.Contains(f.Brands, p.brand) {
		return false
	}
	avail := string(catalog.OutOfStock)
	if p.stock > 0 {
		avail = string(catalog.InStock)
	}
	if except != catalog.ParamAvailability && len(f.Availability) > 0 && !slices.Contains(f.Availability, avail) {
		return false
	}
	for k, want := range f.Options {
		if except == catalog.OptionParamPrefix+k {
			continue
		}
		if !slices.ContainsFunc(p.options[k], func(v string) bool { return slices.Contains(want, v) }) {
			return false
		}
	}
	return true
}

// counts is the brute-force count of facet param's values.
func (m *model) counts(cat int64, f catalog.Filters, param string) map[string]int {
	out := map[string]int{}
	for i := range m.products {
		p := &m.products[i]
		if !m.matches(p, cat, f, param) {
			continue
		}
		switch {
		case param == catalog.ParamBrand:
			out[p.brand]++
		case param == catalog.ParamAvailability:
			if p.stock > 0 {
				out[string(catalog.InStock)]++
			} else {
				out[string(catalog.OutOfStock)]++
			}
		default:
			for _, v := range p.options[param[len(catalog.OptionParamPrefix):]] {
				out[v]++
			}
		}
	}
	return out
}

func (m *model) randomFilters(r *rand.Rand) catalog.Filters {
	var f catalog.Filters
	pick := func(from []string) []string {
		var out []string
		for _, v := range from {
			if r.IntN(3) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	f.Brands = pick(modelBrands)
	f.Availability = pick([]string{string(catalog.InStock), string(catalog.OutOfStock)})
	if r.IntN(3) == 0 {
		f.PriceMin = int64(r.IntN(30)) * 100
	}
	if r.IntN(3) == 0 {
		f.PriceMax = int64(10+r.IntN(50)) * 100
	}
	// A slice, not a map: the same seed draws the same filters.
	for _, o := range []struct {
		k    string
		vals []string
	}{{"size", modelSizes}, {"colour", modelColours}, {"material", modelMaterials}} {
		k := o.k
		if v := pick(o.vals); len(v) > 0 {
			if f.Options == nil {
				f.Options = map[string][]string{}
			}
			f.Options[k] = v
		}
	}
	return f
}

// TestFacetCountsMatchBruteForce: for random categories and filter
// combinations, every facet value's count, the filtered listing's total and
// its products equal a brute-force count over the catalog (issue 15).
func TestFacetCountsMatchBruteForce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(15, 15))
		cat := catalog.New(db)
		cat.FacetTTL = -1
		m := newModel(t, cat, r)
		for trial := range 40 {
			catID := int64(0)
			if trial%4 != 0 {
				catID = m.cats[r.IntN(len(m.cats))]
			}
			f := m.randomFilters(r)
			q := catalog.ListQuery{CategoryID: catID, Filters: f, PerPage: catalog.MaxPerPage}
			name := fmt.Sprintf("trial %d: category %d, filters %v", trial, catID, f.Encode())

			res, err := cat.List(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var want []int64
			for i := range m.products {
				if m.matches(&m.products[i], catID, f, "") {
					want = append(want, m.products[i].id)
				}
			}
			var got []int64
			for _, it := range res.Items {
				got = append(got, it.ID)
			}
			slices.Sort(got)
			if res.Total != len(want) || !slices.Equal(got, want) {
				t.Fatalf("%s: listing has %d products %v, brute force %d %v", name, res.Total, got, len(want), want)
			}

			facets, err := cat.Facets(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			seen := map[string]bool{}
			for _, fc := range facets.Facets {
				seen[fc.Param] = true
				brute := m.counts(catID, f, fc.Param)
				for _, v := range fc.Values {
					if v.Count != brute[v.Value] {
						t.Errorf("%s: %s=%s counts %d, brute force %d", name, fc.Param, v.Value, v.Count, brute[v.Value])
					}
					if v.Selected != f.Has(fc.Param, v.Value) {
						t.Errorf("%s: %s=%s selected %v", name, fc.Param, v.Value, v.Selected)
					}
					delete(brute, v.Value)
				}
				for v, n := range brute {
					t.Errorf("%s: %s=%s (%d products) missing from the facet", name, fc.Param, v, n)
				}
			}
			for _, p := range []string{catalog.ParamBrand, catalog.ParamAvailability} {
				if !seen[p] {
					t.Errorf("%s: no %s facet", name, p)
				}
			}
			for k := range m.options {
				if len(m.counts(catID, f, catalog.OptionParamPrefix+k)) > 0 && !seen[catalog.OptionParamPrefix+k] {
					t.Errorf("%s: no facet for option %s", name, k)
				}
			}
		}
	})
}

// TestSearchPagesAcrossTiers: relevance pages of a search, which rank name
// matches first and list description matches after, neither skip nor
// repeat a product where the two meet, whatever the page size.
func TestSearchPagesAcrossTiers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		all, err := f.cat.List(ctx, catalog.ListQuery{Query: "shirt"})
		if err != nil || len(all.Items) != 3 {
			t.Fatalf("search shirt: %v, %v", slugs(all.Items), err)
		}
		for per := 1; per <= 3; per++ {
			var got []string
			for page := 1; page <= 4; page++ {
				res, err := f.cat.List(ctx, catalog.ListQuery{Query: "shirt", PerPage: per, Page: page})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, slugs(res.Items)...)
			}
			if !slices.Equal(got, slugs(all.Items)) {
				t.Errorf("%d a page: %v, want %v", per, got, slugs(all.Items))
			}
		}
	})
}
