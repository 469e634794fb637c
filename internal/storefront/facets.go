package storefront

import (
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

// deepFilters is the number of filter values from which a listing is
// marked noindex and its facet links nofollow: crawlers index a category
// and its one-filter pages, not the millions of combinations (issue 15).
const deepFilters = 2

// filteredCache is the freshness of filtered listings. A price or stock
// change purges product-{id} and the category's own listings, but not
// every filtered page the product may now enter or leave; those (and
// their facet counts, which the catalog reuses for catalog.DefaultFacetTTL)
// may lag by up to this s-maxage (ARCHITECTURE.md, "Catalog at scale").
const filteredCache = cachehdr.Search

// parseFilteredListParams reads a listing's parameters and filters.
// Tracking parameters (cachehdr.Tracking) are ignored; any other unknown
// parameter is a 400 that lists the filters the listing has.
func (h *Handler) parseFilteredListParams(r *http.Request, extra ...string) (listParams, error) {
	q := r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return p, err
	}
	keys, err := h.Catalog.OptionKeys(r.Context())
	if err != nil {
		return p, err
	}
	p.Filters, err = catalog.ParseFilters(q, keys, extra...)
	return p, err
}

// redirectCanonical answers 301 when a filtered listing's URL is not the
// one canonical spelling of its filters (parameter order, value order,
// duplicates), so the edge caches each filtered page once. Unfiltered
// listings are served as asked, as before.
func (h *Handler) redirectCanonical(w http.ResponseWriter, r *http.Request, path, query string, p listParams) bool {
	if !p.Filters.Active() {
		return false
	}
	want := listURL(path, query, p, p.Page, true)
	if got := r.URL.Path + "?" + r.URL.RawQuery; got == want {
		return false
	}
	w.Header().Set("Cache-Control", cachehdr.Page)
	http.Redirect(w, r, want, http.StatusMovedPermanently)
	return true
}

// facetView is the data of the "facets" template.
type facetView struct {
	Groups []facetGroup
	Active []activeFilter
	Clear  string // the listing without filters, "" when none is set
}

type facetGroup struct {
	Label  string
	Values []facetLink
}

type facetLink struct {
	Label    string
	Count    int
	AtLeast  bool // Count is a lower bound (catalog.Facets.Partial)
	URL      string
	Selected bool
	NoFollow bool
}

type activeFilter struct {
	Label, RemoveURL string
}

// newFacetView turns counts into links: each value toggles itself in the
// current filters, back to page 1, in canonical form.
func newFacetView(path, query string, p listParams, fs catalog.Facets) facetView {
	var v facetView
	link := func(f catalog.Filters) string {
		q := p
		q.Filters = f
		return listURL(path, query, q, 1, true)
	}
	for _, fc := range fs.Facets {
		if len(fc.Values) == 0 {
			continue
		}
		g := facetGroup{Label: fc.Label}
		for _, fv := range fc.Values {
			next := p.Filters.Toggle(fc.Param, fv.Value)
			label := fv.Value
			if fc.Param == catalog.ParamAvailability {
				label = catalog.Availability(fv.Value).Label()
			}
			g.Values = append(g.Values, facetLink{Label: label, Count: fv.Count, AtLeast: fs.Partial, URL: link(next),
				Selected: fv.Selected, NoFollow: next.Depth() >= deepFilters})
			if fv.Selected {
				v.Active = append(v.Active, activeFilter{Label: fc.Label + ": " + label, RemoveURL: link(next)})
			}
		}
		v.Groups = append(v.Groups, g)
	}
	if g := priceGroup(p, fs, link); len(g.Values) > 0 {
		v.Groups = append(v.Groups, g)
	}
	if p.Filters.PriceMin > 0 || p.Filters.PriceMax > 0 {
		v.Active = append(v.Active, activeFilter{Label: "Price: " + priceRangeLabel(p.Filters.PriceMin, p.Filters.PriceMax),
			RemoveURL: link(p.Filters.Toggle(catalog.ParamPrice, ""))})
	}
	if p.Filters.Active() {
		v.Clear = link(catalog.Filters{})
	}
	return v
}

// priceGroup offers four price bands over the listing's price span.
func priceGroup(p listParams, fs catalog.Facets, link func(catalog.Filters) string) facetGroup {
	g := facetGroup{Label: "Price"}
	lo, hi := fs.PriceMin/100, (fs.PriceMax+99)/100
	if hi-lo < 4 {
		return g
	}
	step := (hi - lo + 3) / 4
	for i := int64(0); i < 4; i++ {
		a, b := lo+i*step, min(lo+(i+1)*step, hi)
		f := p.Filters.Toggle(catalog.ParamPrice, "")
		f.PriceMin, f.PriceMax = a*100, b*100
		sel := p.Filters.PriceMin == f.PriceMin && p.Filters.PriceMax == f.PriceMax
		if sel {
			f.PriceMin, f.PriceMax = 0, 0
		}
		g.Values = append(g.Values, facetLink{Label: priceRangeLabel(a*100, b*100), URL: link(f), Selected: sel,
			NoFollow: f.Depth() >= deepFilters, Count: -1})
	}
	return g
}

func priceRangeLabel(lo, hi int64) string {
	switch {
	case hi <= 0:
		return "from " + strconv.FormatInt(lo/100, 10)
	case lo <= 0:
		return "up to " + strconv.FormatInt(hi/100, 10)
	}
	return strconv.FormatInt(lo/100, 10) + "–" + strconv.FormatInt(hi/100, 10)
}

// robotsFor is the meta robots of a filtered listing.
func robotsFor(f catalog.Filters) string {
	if f.Depth() >= deepFilters {
		return "noindex, nofollow"
	}
	return ""
}
