package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
)

func TestTaxonomyIsComplete(t *testing.T) {
	t.Parallel()
	kinds := map[variantKind]bool{kindApparel: true, kindShoes: true, kindColour: true, kindSingle: true}
	for k := range ladders {
		kinds[k] = true
	}
	shapes := "garment shoe vase chair device bottle ball bear book plant jar paw ring"
	for _, d := range departments() {
		if len(features[d.name]) < 2 || len(d.adjectives) == 0 || len(d.matter) == 0 || d.minEUR < 1 || d.maxEUR <= d.minEUR {
			t.Errorf("%s: features %d, adjectives %d, materials %d, prices %d–%d", d.name, len(features[d.name]), len(d.adjectives), len(d.matter), d.minEUR, d.maxEUR)
		}
		if !strings.Contains(shapes, d.shape) || !kinds[d.kind] {
			t.Errorf("%s: unknown shape %q or kind %q", d.name, d.shape, d.kind)
		}
		for _, g := range d.groups {
			for _, l := range g.leaves {
				if len(l.nouns) == 0 || !kinds[l.kind] {
					t.Errorf("%s › %s › %s: %d nouns, kind %q", d.name, g.name, l.name, len(l.nouns), l.kind)
				}
			}
		}
	}
}

func TestPlanTreeHasTheRequestedSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 8, 30, 300, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			nodes := planTree(n)
			if len(nodes) != n {
				t.Fatalf("planTree(%d) has %d categories", n, len(nodes))
			}
			used := map[string]bool{}
			seen := map[*node]bool{}
			for _, nd := range nodes {
				depth := 1
				for p := nd.parent; p != nil; p = p.parent {
					depth++
				}
				if depth > 3 || (nd.parent != nil && !seen[nd.parent]) {
					t.Errorf("%q: depth %d, parent first: %v", nd.name, depth, nd.parent == nil || seen[nd.parent])
				}
				seen[nd] = true
				if s := uniqueSlug(used, nd); !catalog.ValidSlug(s) {
					t.Errorf("%q: invalid slug %q", nd.name, s)
				}
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	if got := ProfileNames(); !slices.Equal(got, []string{"small", "medium", "large"}) {
		t.Fatalf("ProfileNames() = %v", got)
	}
	for name, o := range Profiles {
		if got := len(planTree(o.Categories)); got != o.Categories {
			t.Errorf("profile %s: %d categories, the tree holds %d", name, o.Categories, got)
		}
	}
}

// TestProductsLookLikeAShop checks the spread of a few thousand generated
// products against what the seed promises (without a database).
func TestProductsLookLikeAShop(t *testing.T) {
	t.Parallel()
	nodes := planTree(300)
	var depts []*department
	var leaves []*node
	for i, nd := range nodes {
		nd.id = int64(i + 1)
		if nd.parent == nil {
			depts = append(depts, nd.dept)
		}
		if nd.children == 0 {
			leaves = append(leaves, nd)
		}
	}
	pool := &imagePool{keys: make([]string, 100), byDept: make([][]int, len(depts))}
	for i := range pool.keys {
		pool.keys[i] = fmt.Sprintf("%064x.jpg", i)
		pool.byDept[i%len(depts)] = append(pool.byDept[i%len(depts)], i)
	}
	gen := newProductGen(rand.New(rand.NewPCG(1, 0)), depts, leaves, pool)
	const n = 5000
	var out, low, featured, twoCats, under500 int
	names, skus, slugs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i := range n {
		p := gen.product(i)
		names[p.Name] = true
		if slugs[p.Slug] || !catalog.ValidSlug(p.Slug) {
			t.Fatalf("product %d: slug %q repeated or invalid", i, p.Slug)
		}
		slugs[p.Slug] = true
		if len(p.Variants) < 1 || len(p.Variants) > 6 || len(p.Images) < 1 || len(p.Images) > 3 {
			t.Fatalf("%s: %d variants, %d images", p.Name, len(p.Variants), len(p.Images))
		}
		if !p.CreatedAt.Before(Epoch) || p.CreatedAt.Before(Epoch.Add(-createdSpan)) {
			t.Fatalf("%s: created %v", p.Name, p.CreatedAt)
		}
		if s := strings.Count(p.Description, ". ") + 1; s < 2 || s > 4 {
			t.Errorf("%s: %d sentences: %q", p.Name, s, p.Description)
		}
		for _, v := range p.Variants {
			if skus[v.SKU] || v.PriceCents < 100 || v.PriceCents > 5000_00 {
				t.Fatalf("%s: SKU %s repeated, or price %d", p.Name, v.SKU, v.PriceCents)
			}
			skus[v.SKU] = true
		}
		switch total := total(p.Variants); {
		case total == 0:
			out++
		case total <= catalog.LowStock:
			low++
		}
		if p.Featured {
			featured++
		}
		if p.Variants[0].PriceCents <= 500_00 {
			under500++
		}
		if len(p.CategoryIDs) > 1 {
			twoCats++
		}
	}
	pct := func(k int) float64 { return 100 * float64(k) / n }
	if pct(out) < 3 || pct(out) > 8 || pct(low) < 7 || pct(low) > 14 || pct(featured) < 1.5 || pct(featured) > 5 || twoCats == 0 {
		t.Errorf("out of stock %.1f%%, low %.1f%%, featured %.1f%%, in two categories %d", pct(out), pct(low), pct(featured), twoCats)
	}
	if pct(under500) < 85 {
		t.Errorf("only %.1f%% of products cost at most 500 EUR", pct(under500))
	}
	if len(names) < n*95/100 {
		t.Errorf("only %d distinct names in %d products", len(names), n)
	}
}

func TestCharmPrices(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		euros := 1 + r.Float64()*2000
		c := charm(r, euros)
		cents := c % 100
		if cents != 99 && cents != 95 && cents != 50 && cents != 0 {
			t.Fatalf("charm(%.2f) = %d: not a shop price", euros, c)
		}
		if c <= 0 || float64(c)/100 > euros*1.1+10 || float64(c)/100 < euros*0.9-10 {
			t.Fatalf("charm(%.2f) = %d: too far from the price", euros, c)
		}
	}
}
