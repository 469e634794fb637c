package seed

import (
	"math/rand/v2"
	"strings"

	"agora/internal/catalog"
)

var (
	apparelSizes = []string{"XS", "S", "M", "L", "XL", "XXL"}
	shoeSizes    = []string{"36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46"}
)

// tier is one step of a variant ladder whose price grows with it.
type tier struct {
	value  string
	factor float64
}

var ladders = map[variantKind]struct {
	option string
	tiers  []tier
}{
	kindSize:    {"Size", []tier{{"Small", 1}, {"Medium", 1.3}, {"Large", 1.6}, {"Extra Large", 2}}},
	kindVolume:  {"Volume", []tier{{"30 ml", 1}, {"50 ml", 1.4}, {"100 ml", 2.2}, {"200 ml", 3.5}}},
	kindStorage: {"Storage", []tier{{"64 GB", 1}, {"128 GB", 1.15}, {"256 GB", 1.35}, {"512 GB", 1.7}, {"1 TB", 2.2}}},
	kindWeight:  {"Weight", []tier{{"250 g", 1}, {"500 g", 1.8}, {"1 kg", 3.2}}},
	kindFormat:  {"Format", []tier{{"Paperback", 1}, {"Hardback", 1.7}}},
}

// variants builds 1–6 variants whose SKUs start with base (unique per
// product), prices near one base price and a stock spread in which about
// 5% of products are sold out and 10% low.
func (g *productGen) variants(kind variantKind, d *department, main colour, base string) []catalog.NewVariant {
	r := g.r
	basePrice := price(r, d)
	var vs []catalog.NewVariant
	add := func(price int64, opts ...catalog.Option) {
		sku := base
		names := make([]string, len(opts))
		for i, o := range opts {
			sku += "-" + strings.ToUpper(strings.ReplaceAll(o.Value, " ", ""))
			names[i] = o.Value
		}
		vs = append(vs, catalog.NewVariant{SKU: sku, Name: strings.Join(names, " / "), Options: opts, PriceCents: price})
	}
	switch kind {
	case kindApparel, kindShoes:
		sizes := apparelSizes
		if kind == kindShoes {
			sizes = shoeSizes
		}
		n := 2 + r.IntN(4) // 2–5 sizes
		start := r.IntN(len(sizes) - n + 1)
		cols := []colour{main}
		if n <= 3 && r.IntN(3) == 0 {
			cols = append(cols, otherColour(r, main))
		}
		for _, c := range cols {
			for j, s := range sizes[start : start+n] {
				p := basePrice
				if kind == kindApparel && start+j >= 5 && r.IntN(2) == 0 {
					p = charm(r, float64(p)/100+3) // XXL often costs a little more
				}
				add(p, catalog.Option{Name: "Size", Value: s}, catalog.Option{Name: "Colour", Value: c.name})
			}
		}
	case kindColour:
		c := main
		for range 1 + r.IntN(4) {
			add(basePrice, catalog.Option{Name: "Colour", Value: c.name})
			c = otherColourNot(r, vs)
		}
	case kindSingle:
		add(basePrice)
		vs[0].Name = "" // the product's own name
	default:
		l := ladders[kind]
		n := 1 + r.IntN(min(3, len(l.tiers)))
		start := r.IntN(len(l.tiers) - n + 1)
		for _, t := range l.tiers[start : start+n] {
			add(charm(r, float64(basePrice)/100*t.factor/l.tiers[start].factor), catalog.Option{Name: l.option, Value: t.value})
		}
	}
	g.stock(vs)
	return vs
}

// stock fills in stock levels: the product as a whole is out of stock 5% of
// the time, low (at most catalog.LowStock in total) 10%, else in stock with
// the odd size sold out.
func (g *productGen) stock(vs []catalog.NewVariant) {
	r := g.r
	switch u := r.IntN(100); {
	case u < 5:
		// all zero
	case u < 15:
		vs[r.IntN(len(vs))].Stock = 1 + r.IntN(catalog.LowStock)
	default:
		for i := range vs {
			if r.IntN(12) > 0 {
				vs[i].Stock = 1 + r.IntN(1+r.IntN(240))
			}
		}
		if total(vs) <= catalog.LowStock {
			vs[0].Stock += catalog.LowStock + 1 + r.IntN(40)
		}
	}
}

func total(vs []catalog.NewVariant) int {
	n := 0
	for _, v := range vs {
		n += v.Stock
	}
	return n
}

func otherColour(r *rand.Rand, not colour) colour {
	for {
		if c := pick(r, colours); c.name != not.name {
			return c
		}
	}
}

// otherColourNot picks a colour none of vs has yet.
func otherColourNot(r *rand.Rand, vs []catalog.NewVariant) colour {
	for {
		c := pick(r, colours)
		taken := false
		for _, v := range vs {
			taken = taken || v.Options[0].Value == c.name
		}
		if !taken {
			return c
		}
	}
}
