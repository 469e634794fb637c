package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// categoryFacets reads the facets of a category's unfiltered listing from
// category_facets, the counts migration 0012's triggers keep exact under
// every write, and its price range from the listing's price index: a few
// dozen rows and two index probes, where counting live groups the whole
// category (30,000 products in the largest, ~150 ms; issue 15).
func (c *Catalog) categoryFacets(ctx context.Context, q ListQuery) (Facets, error) {
	var out Facets
	rows, err := c.db.Query(ctx, `SELECT facet, value, n FROM category_facets
		WHERE category_id = $1 AND n > 0`, q.CategoryID)
	if err != nil {
		return out, fmt.Errorf("catalog: category facets: %w", err)
	}
	avail := Facet{Param: ParamAvailability, Label: "Availability"}
	brands := Facet{Param: ParamBrand, Label: "Brand"}
	opts := map[string][]FacetValue{}
	for rows.Next() {
		var facet string
		var v FacetValue
		if err := rows.Scan(&facet, &v.Value, &v.Count); err != nil {
			rows.Close()
			return out, fmt.Errorf("catalog: category facets: %w", err)
		}
		v.Selected = q.Filters.Has(facet, v.Value)
		switch {
		case facet == ParamAvailability:
			avail.Values = append(avail.Values, v)
		case facet == ParamBrand && v.Value != "":
			brands.Values = append(brands.Values, v)
		case strings.HasPrefix(facet, OptionParamPrefix):
			opts[facet] = append(opts[facet], v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("catalog: category facets: %w", err)
	}
	// The same order countFacets gives: availability by value, the others
	// most products first.
	avail.Values = topValues(avail.Values, q.Filters, ParamAvailability)
	slices.SortFunc(avail.Values, func(a, b FacetValue) int { return cmp.Compare(a.Value, b.Value) })
	brands.Values = topValues(brands.Values, q.Filters, ParamBrand)
	out.Facets = []Facet{avail, brands}
	for param, vals := range opts {
		out.Facets = append(out.Facets, Facet{Param: param, Label: OptionLabel(param[len(OptionParamPrefix):]),
			Values: topValues(vals, q.Filters, param)})
	}
	slices.SortFunc(out.Facets[2:], func(a, b Facet) int { return cmp.Compare(a.Param, b.Param) })
	err = c.db.QueryRow(ctx, `SELECT
		coalesce((SELECT price_cents FROM category_listing WHERE category_id = $1 ORDER BY price_cents LIMIT 1), 0),
		coalesce((SELECT price_cents FROM category_listing WHERE category_id = $1 ORDER BY price_cents DESC LIMIT 1), 0)`,
		q.CategoryID).Scan(&out.PriceMin, &out.PriceMax)
	if err != nil {
		return out, fmt.Errorf("catalog: category price range: %w", err)
	}
	return out, nil
}

// ownFacet is the stored facet of a category listing filtered on that one
// facet alone: a facet's counts ignore its own filter, so they are the
// unfiltered category's, exact from category_facets, where counting them
// live would group the whole category (a brand's page of a 30,000-product
// department counts every brand of the department).
type ownFacet struct {
	param string // "" when the listing has none
	all   Facets // the category's unfiltered facets, selections marked
}

// ownFacet returns q's ownFacet: only for a category listing, unsearched,
// with filters on exactly one facet.
func (c *Catalog) ownFacet(ctx context.Context, q ListQuery) (ownFacet, error) {
	if q.Query != "" || q.CategoryID == 0 {
		return ownFacet{}, nil
	}
	param := q.Filters.only()
	if param == "" {
		return ownFacet{}, nil
	}
	all, err := c.categoryFacets(ctx, q)
	return ownFacet{param: param, all: all}, err
}

// get returns the stored facet param when it is the listing's own.
func (o ownFacet) get(param string) (Facet, bool) {
	if param != o.param {
		return Facet{}, false
	}
	for _, f := range o.all.Facets {
		if f.Param == param {
			return f, true
		}
	}
	// No product of the category has the facet: only the selection shows.
	f := Facet{Param: param, Label: OptionLabel(strings.TrimPrefix(param, OptionParamPrefix))}
	return f, true
}
