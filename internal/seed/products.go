package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"agora/internal/catalog"
)

// Epoch is the fixed "now" of every seeded catalog: products are created
// over the two years before it, so the same seed gives the same dates on
// any day.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const createdSpan = 2 * 365 * 24 * time.Hour

// productGen turns a sequence of random numbers into products. It is used
// by one goroutine; its output depends only on the seed and the tree.
type productGen struct {
	r        *rand.Rand
	leaves   []*node
	byDept   map[*department][]*node
	deptIdx  map[*department]int
	images   *imagePool
	slugs    map[string]bool
	skuCodes map[*department]string
}

// newProductGen files products under leaves; depts are the tree's
// departments in the order the image pool uses.
func newProductGen(r *rand.Rand, depts []*department, leaves []*node, images *imagePool) *productGen {
	g := &productGen{r: r, leaves: leaves, images: images, slugs: map[string]bool{},
		byDept: map[*department][]*node{}, deptIdx: map[*department]int{}, skuCodes: map[*department]string{}}
	for _, l := range leaves {
		g.byDept[l.dept] = append(g.byDept[l.dept], l)
	}
	for i, d := range depts {
		g.deptIdx[d] = i
		g.skuCodes[d] = skuCode(d.name)
	}
	return g
}

// skuCode is a department's SKU prefix: "Jewellery & Watches" → "JEW".
func skuCode(name string) string {
	return strings.ToUpper(catalog.Slugify(name)[:3])
}

// product builds the i-th product (0-based).
func (g *productGen) product(i int) catalog.NewProduct {
	r := g.r
	home := g.leaves[r.IntN(len(g.leaves))]
	grp, lf := home.group, home.leaf
	if grp == nil {
		grp = home.dept.groups[r.IntN(len(home.dept.groups))]
	}
	if lf == nil {
		lf = grp.leaves[r.IntN(len(grp.leaves))]
	}
	d := home.dept
	p := productWords{
		dept:   d,
		noun:   pick(r, lf.nouns),
		brand:  brands[(g.deptIdx[d]*7+r.IntN(9))%len(brands)],
		colour: colours[r.IntN(len(colours))],
	}
	if r.IntN(10) < 7 {
		p.adj = pick(r, d.adjectives)
	}
	if r.IntN(10) < 8 {
		p.mat = pick(r, d.matter)
	}
	name := p.name(r)
	np := catalog.NewProduct{
		Slug:        g.slug(name, i),
		Name:        name,
		Brand:       p.brand,
		Description: p.description(r, name),
		Featured:    r.IntN(100) < 3,
		Position:    i,
		CategoryIDs: []int64{home.id},
		CreatedAt:   Epoch.Add(-time.Duration(r.Int64N(int64(createdSpan)))).Truncate(time.Second),
	}
	if same := g.byDept[d]; len(same) > 1 && r.IntN(10) == 0 {
		if other := same[r.IntN(len(same))]; other != home {
			np.CategoryIDs = append(np.CategoryIDs, other.id)
		}
	}
	np.Variants = g.variants(lf.kind, d, p.colour, fmt.Sprintf("%s-%06d", g.skuCodes[d], i+1))
	np.Images = g.images.pick(r, g.deptIdx[d], name)
	return np
}

func (g *productGen) slug(name string, i int) string {
	s := catalog.Slugify(name)
	if g.slugs[s] {
		s = s + "-" + strconv.Itoa(i+1)
	}
	g.slugs[s] = true
	return s
}

// productWords are the words one product's name and text are made of.
type productWords struct {
	dept                  *department
	noun, adj, mat, brand string
	colour                colour
}

// name is "{Model} {adjective} {material} {noun}", e.g. "Halden Relaxed
// Linen Oxford Shirt", or a title for books.
func (p productWords) name(r *rand.Rand) string {
	if p.dept.shape == "book" {
		return fmt.Sprintf("The %s %s (%s)", pick(r, bookAdjectives), pick(r, bookNouns), p.noun)
	}
	model := pick(r, modelWords)
	if r.IntN(10) < 3 {
		model += " " + pick(r, modelSuffixes)
	}
	parts := []string{model}
	for _, w := range []string{p.adj, p.mat, p.noun} {
		// "Oak Oak Table", "Wooden Wooden Puzzle": skip repeats.
		if w != "" && !strings.Contains(strings.Join(parts, " "), w) {
			parts = append(parts, w)
		}
	}
	return strings.Join(parts, " ")
}

// description is two or three sentences: an opener naming the product,
// one or two features of its department, sometimes a closer.
func (p productWords) description(r *rand.Rand, name string) string {
	mat, adj := inSentence(p.mat), inSentence(p.adj)
	if mat == "" {
		mat = "carefully chosen materials"
	}
	if adj == "" {
		adj = "well-made"
	}
	rep := strings.NewReplacer("{name}", name, "{brand}", p.brand, "{noun}", inSentence(p.noun),
		"{mat}", mat, "{adj}", adj, "{a-adj}", article(adj)+" "+adj, "{colour}", inSentence(p.colour.name))
	sentences := []string{rep.Replace(pick(r, openers))}
	fs := features[p.dept.name]
	first := r.IntN(len(fs))
	sentences = append(sentences, fs[first])
	if r.IntN(2) == 0 {
		sentences = append(sentences, fs[(first+1+r.IntN(len(fs)-1))%len(fs)])
	} else {
		sentences = append(sentences, pick(r, closers))
	}
	s := strings.Join(sentences, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// inSentence lower-cases a word for use inside a sentence, except proper
// names ("Nordic", "Vitamin C") and abbreviations ("USB-C Hub", "4K").
func inSentence(w string) string {
	if properWords[w] || len(w) > 1 && strings.ToUpper(w[:2]) == w[:2] {
		return w
	}
	return strings.ToLower(w)
}

// article is "a" or "an" for the word that follows.
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiouAEIOU", rune(w[0])) {
		return "an"
	}
	return "a"
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// price draws a base price in cents, log-uniform over the department's
// range so cheap items are common and expensive ones rare.
func price(r *rand.Rand, d *department) int64 {
	lo, hi := math.Log(float64(d.minEUR)), math.Log(float64(d.maxEUR))
	return charm(r, math.Exp(lo+r.Float64()*(hi-lo)))
}

// charm rounds a price in euros to a shop price: 4.99, 19.95, 49.50, 149.00.
func charm(r *rand.Rand, euros float64) int64 {
	euros = max(euros, 1)
	switch {
	case euros < 100:
		endings := []int64{99, 99, 95, 50, 0}
		return int64(euros)*100 + pick(r, endings)
	default:
		whole := int64(math.Round(euros/10))*10 - 1
		return whole*100 + pick(r, []int64{0, 0, 99, 95})
	}
}
