package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"
)

// FacetValue is one choice of a facet, with the number of products the
// listing would show if it were added to the other facets' selections.
type FacetValue struct {
	Value    string
	Count    int
	Selected bool
}

// Facet is one filterable attribute of a listing.
type Facet struct {
	Param  string // URL parameter: brand, availability, opt_colour…
	Label  string
	Values []FacetValue // most products first; selected values always kept
}

// Facets are the filters a listing offers, with their counts.
type Facets struct {
	Facets []Facet
	// PriceMin and PriceMax span the prices of the listing under the other
	// filters, in cents (0, 0 when it is empty).
	PriceMin, PriceMax int64
	// Partial is set when a search matched more products than its rank
	// window: the counts and the price range are then those of the
	// window's matches (the newest RankWindow), lower bounds that pages
	// show as "120+" (issue 15).
	Partial bool
}

// Facet display limits: a menu, not a dump.
const (
	maxFacetValues = 30
)

// DefaultFacetTTL is how long facet counts are reused in-process: counts
// may lag writes by this much (documented in ARCHITECTURE.md, issue 15).
const DefaultFacetTTL = time.Minute

// Facets counts, for each facet of q's listing, the products each value
// would show: the listing with every other facet's filters applied and this
// one's replaced by the value (several values of one facet add up). Results
// are cached per listing and filters (not sort or page) for FacetTTL.
func (c *Catalog) Facets(ctx context.Context, q ListQuery) (Facets, error) {
	if err := q.normalize(); err != nil {
		return Facets{}, err
	}
	if q.Query == "" && q.CategoryID != 0 && !q.Filters.Active() {
		return c.categoryFacets(ctx, q) // stored and cheap: never stale
	}
	cache := c.facetCache()
	if cache == nil {
		return c.countFacets(ctx, q)
	}
	words := searchTerms(q.Query)
	if q.alts != nil {
		words = words[:0]
		for _, a := range q.alts {
			words = append(words, strings.Join(a, "|"))
		}
	}
	key := fmt.Sprintf("%d\x00%s\x00%s", q.CategoryID, strings.Join(words, " "), strings.Join(q.Filters.Encode(), "&"))
	return cache.Get(ctx, key, otter.LoaderFunc[string, Facets](func(ctx context.Context, _ string) (Facets, error) {
		return c.countFacets(ctx, q)
	}))
}

func (c *Catalog) facetCache() *otter.Cache[string, Facets] {
	c.facetOnce.Do(func() {
		ttl := cmp.Or(c.FacetTTL, DefaultFacetTTL)
		if ttl < 0 {
			return
		}
		c.facets = otter.Must(&otter.Options[string, Facets]{
			MaximumSize:      20_000,
			ExpiryCalculator: otter.ExpiryWriting[string, Facets](ttl),
		})
	})
	return c.facets
}

func (c *Catalog) countFacets(ctx context.Context, q ListQuery) (Facets, error) {
	var out Facets
	if q.Query != "" && len(searchTerms(q.Query)) == 0 {
		return out, nil
	}
	if q.Query != "" {
		// Counting every match of a common word (34,000 at 300,000
		// products) groups them all, 400 ms a search; within the rank
		// window it costs what ranking does.
		all := q
		all.Filters = Filters{}
		l, _, _ := c.listClauses(all, "")
		_, edge, _, err := c.countMatches(ctx, l, 0)
		if err != nil {
			return out, fmt.Errorf("catalog: facets window: %w", err)
		}
		q.after, out.Partial = edge, edge != 0
	}
	own, err := c.ownFacet(ctx, q)
	if err != nil {
		return out, err
	}
	avail, ok := own.get(ParamAvailability)
	if !ok {
		if avail, err = c.availabilityFacet(ctx, q); err != nil {
			return out, err
		}
	}
	brands, ok := own.get(ParamBrand)
	if !ok {
		brands, err = c.groupFacet(ctx, q, ParamBrand, "Brand", "p.brand", "",
			func(func(any) string) string { return "p.brand <> ''" })
		if err != nil {
			return out, err
		}
	}
	opts, err := c.optionFacets(ctx, q, own)
	if err != nil {
		return out, err
	}
	out.Facets = append([]Facet{avail, brands}, opts...)
	if own.param == ParamPrice {
		out.PriceMin, out.PriceMax = own.all.PriceMin, own.all.PriceMax
		return out, nil
	}
	l, _, _ := c.listClauses(q, ParamPrice)
	err = c.db.QueryRow(ctx, "SELECT coalesce(min(p.price_cents), 0), coalesce(max(p.price_cents), 0) FROM "+l.from+" WHERE "+l.where(), l.args...).
		Scan(&out.PriceMin, &out.PriceMax)
	if err != nil {
		return out, fmt.Errorf("catalog: price facet: %w", err)
	}
	return out, nil
}

func (c *Catalog) availabilityFacet(ctx context.Context, q ListQuery) (Facet, error) {
	f, err := c.groupFacet(ctx, q, ParamAvailability, "Availability",
		"CASE WHEN p.stock > 0 THEN '"+string(InStock)+"' ELSE '"+string(OutOfStock)+"' END", "", nil)
	if err != nil {
		return f, err
	}
	// Always in the same order, whatever the counts.
	slices.SortFunc(f.Values, func(a, b FacetValue) int { return cmp.Compare(a.Value, b.Value) })
	return f, nil
}

// groupFacet counts the products of q's listing (without param's own
// filter) per value of expr, joined through join and narrowed by extra.
func (c *Catalog) groupFacet(ctx context.Context, q ListQuery, param, label, expr, join string, extra func(arg func(any) string) string) (Facet, error) {
	f := Facet{Param: param, Label: label}
	l, _, _ := c.listClauses(q, param)
	where := l.where()
	if extra != nil {
		where += " AND " + extra(l.arg)
	}
	rows, err := c.db.Query(ctx, "SELECT "+expr+" AS v, count(*) FROM "+l.from+join+" WHERE "+where+" GROUP BY "+expr, l.args...)
	if err != nil {
		return f, fmt.Errorf("catalog: %s facet: %w", param, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v FacetValue
		if err := rows.Scan(&v.Value, &v.Count); err != nil {
			return f, fmt.Errorf("catalog: %s facet: %w", param, err)
		}
		v.Selected = q.Filters.Has(param, v.Value)
		f.Values = append(f.Values, v)
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("catalog: %s facet: %w", param, err)
	}
	f.Values = topValues(f.Values, q.Filters, param)
	return f, nil
}

// topValues keeps the maxFacetValues values with the most products, plus
// every selected one (with a count of 0 when nothing matches it now), so a
// shopper can always remove a filter.
func topValues(vals []FacetValue, f Filters, param string) []FacetValue {
	slices.SortFunc(vals, func(a, b FacetValue) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	out := vals[:0:0]
	for i, v := range vals {
		if i < maxFacetValues || v.Selected {
			out = append(out, v)
		}
	}
	for _, s := range f.selected(param) {
		if !slices.ContainsFunc(out, func(v FacetValue) bool { return v.Value == s }) {
			out = append(out, FacetValue{Value: s, Selected: true})
		}
	}
	return out
}

func (f Filters) selected(param string) []string {
	switch {
	case param == ParamBrand:
		return f.Brands
	case param == ParamAvailability:
		return f.Availability
	case strings.HasPrefix(param, OptionParamPrefix):
		return f.Options[param[len(OptionParamPrefix):]]
	}
	return nil
}

// optionFacets counts option values: one query for the options with no
// selection (under all filters), one per option with a selection (under the
// others).
func (c *Catalog) optionFacets(ctx context.Context, q ListQuery, own ownFacet) ([]Facet, error) {
	const join = " JOIN product_options o ON o.product_id = p.id"
	l, _, _ := c.listClauses(q, "")
	rows, err := c.db.Query(ctx, "SELECT o.name, o.value, count(*) FROM "+l.from+join+" WHERE "+l.where()+
		" GROUP BY o.name, o.value", l.args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: option facets: %w", err)
	}
	byName := map[string][]FacetValue{}
	for rows.Next() {
		var name string
		var v FacetValue
		if err := rows.Scan(&name, &v.Value, &v.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog: option facets: %w", err)
		}
		if len(q.Filters.Options[name]) == 0 {
			byName[name] = append(byName[name], v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: option facets: %w", err)
	}
	var out []Facet
	for name, vals := range q.Filters.Options {
		if len(vals) == 0 {
			continue
		}
		if f, ok := own.get(OptionParamPrefix + name); ok {
			out = append(out, f)
			continue
		}
		f, err := c.groupFacet(ctx, q, OptionParamPrefix+name, OptionLabel(name), "o.value", join,
			func(arg func(any) string) string { return "o.name = " + arg(name) })
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	for name, vals := range byName {
		param := OptionParamPrefix + name
		out = append(out, Facet{Param: param, Label: OptionLabel(name), Values: topValues(vals, q.Filters, param)})
	}
	slices.SortFunc(out, func(a, b Facet) int { return cmp.Compare(a.Param, b.Param) })
	return out, nil
}

// OptionKeys lists the option keys products have ("colour", "size"…), the
// opt_ filters a listing accepts. It skips through the index one key at a
// time, so it costs a lookup per key, not a scan of every product's options.
func (c *Catalog) OptionKeys(ctx context.Context) ([]string, error) {
	rows, err := c.db.Query(ctx, `WITH RECURSIVE k(name) AS (
			SELECT min(name) FROM product_options
			UNION ALL
			SELECT (SELECT min(name) FROM product_options WHERE name > k.name) FROM k WHERE k.name IS NOT NULL
		) SELECT name FROM k WHERE name IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("catalog: option keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("catalog: option keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
