package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/fault"
)

// summaryJSON is a product as listings show it.
type summaryJSON struct {
	ID           int64   `json:"id"`
	Slug         string  `json:"slug"`
	Name         string  `json:"name"`
	PriceCents   int64   `json:"price_cents"`
	Currency     string  `json:"currency"`
	InStock      bool    `json:"in_stock"`
	Availability string  `json:"availability"`
	ImageURL     *string `json:"image_url"` // null when the product has no picture
}

type listJSON struct {
	Items []summaryJSON `json:"items"`
	Total int           `json:"total"`
	// MoreThanTotal: total is a lower bound ("1,000+"); see catalog.CountCap.
	MoreThanTotal bool `json:"more_than_total"`
	// CorrectedQuery, when set, is the search the items answer: q matched
	// nothing, and its misspelt words were replaced (catalog.Correct).
	CorrectedQuery string `json:"corrected_query,omitempty"`
	Page           int    `json:"page"`
	PerPage        int    `json:"per_page"`
	Pages          int    `json:"pages"`
	// Filters is the canonical query string of the filters applied.
	Filters string `json:"filters"`
	// Facets and Price are present when the request asks facets=1.
	Facets []facetJSON     `json:"facets,omitempty"`
	Price  *priceRangeJSON `json:"price,omitempty"`
}

type facetJSON struct {
	Param  string           `json:"param"`
	Label  string           `json:"label"`
	Values []facetValueJSON `json:"values"`
}

type facetValueJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
	// AtLeast: count is a lower bound, counted among the newest 1,000
	// matches of a search with more (catalog.Facets.Partial).
	AtLeast  bool `json:"at_least,omitempty"`
	Selected bool `json:"selected"`
}

// priceRangeJSON spans the listing's prices under the other filters.
type priceRangeJSON struct {
	MinCents int64 `json:"min_cents"`
	MaxCents int64 `json:"max_cents"`
}

// listProducts serves GET /api/v1/products?category=&q=&sort=&page=&per_page=,
// with the storefront's filters (brand=, availability=, price=MIN-MAX,
// opt_NAME=) and, with facets=1, their counts.
// per_page above catalog.MaxPerPage (100) is clamped to it, not refused, and
// the response's per_page says what was used. Search results (q set) get the
// shorter search freshness.
func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) {
	q, err := h.listQuery(r)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var tags cachehdr.Tags
	if slug := r.URL.Query().Get("category"); slug != "" {
		cat, _, err := h.Catalog.CategoryBySlug(r.Context(), slug)
		if err != nil {
			WriteError(w, r, h.Log, err)
			return
		}
		q.CategoryID = cat.ID
		tags.Add(cachehdr.CategoryTag(cat.ID))
	}
	res, err := h.Catalog.List(r.Context(), q)
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var corrected string
	if res.Total == 0 && q.Query != "" {
		// Nothing matched: a misspelt word, perhaps (catalog.Correct).
		if cq, shown, ok := h.Catalog.Correct(r.Context(), q); ok {
			if res, err = h.Catalog.List(r.Context(), cq); err != nil {
				WriteError(w, r, h.Log, err)
				return
			}
			q, corrected = cq, shown
		}
	}
	out := listJSON{Items: make([]summaryJSON, len(res.Items)), Total: res.Total, MoreThanTotal: res.MoreThanTotal,
		Page: res.Page, PerPage: res.PerPage, Pages: res.Pages(), Filters: strings.Join(q.Filters.Encode(), "&"),
		CorrectedQuery: corrected}
	if r.URL.Query().Get("facets") == "1" {
		fs, err := h.Catalog.Facets(r.Context(), q)
		if err != nil {
			WriteError(w, r, h.Log, err)
			return
		}
		out.Facets, out.Price = facetsJSON(fs)
	}
	for i, s := range res.Items {
		out.Items[i] = summaryJSON{ID: s.ID, Slug: s.Slug, Name: s.Name, PriceCents: s.PriceCents,
			Currency: s.Currency, InStock: s.InStock(), Availability: string(s.Availability()),
			ImageURL: h.mediaURL(s.ImageKey)}
		tags.Add(cachehdr.ProductTag(s.ID))
	}
	cc := cachehdr.API
	if q.Query != "" || q.Filters.Active() {
		cc = cachehdr.Search
	}
	WriteJSON(w, http.StatusOK, cc, out, tags.List()...)
}

// listQuery reads the listing parameters. The numbers are checked here (the
// catalog only sees ints); sort, page range, search length and encoding are
// checked by catalog.List, so the storefront and the API refuse alike.
func (h *Handler) listQuery(r *http.Request) (catalog.ListQuery, error) {
	v := r.URL.Query()
	q := catalog.ListQuery{Query: v.Get("q"), Sort: catalog.Sort(v.Get("sort"))}
	keys, err := h.Catalog.OptionKeys(r.Context())
	if err != nil {
		return q, err
	}
	if q.Filters, err = catalog.ParseFilters(v, keys, "facets"); err != nil {
		return q, err
	}
	if q.Page, err = positive(v.Get("page"), "page"); err != nil {
		return q, err
	}
	if q.PerPage, err = positive(v.Get("per_page"), "per_page"); err != nil {
		return q, err
	}
	return q, nil
}

// positive parses an optional whole number of at least 1; "" gives 0 (the
// catalog's default). Huge values saturate rather than fail to parse, so
// per_page=99999999999999999999 clamps like any other large per_page.
func positive(s, field string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && s[0] != '-' {
		return int(^uint(0) >> 1), nil
	}
	if err != nil || n < 1 {
		return 0, fault.Field(field, "%s must be a whole number, 1 or more.", field)
	}
	return n, nil
}

func facetsJSON(fs catalog.Facets) ([]facetJSON, *priceRangeJSON) {
	out := make([]facetJSON, 0, len(fs.Facets))
	for _, f := range fs.Facets {
		fj := facetJSON{Param: f.Param, Label: f.Label, Values: make([]facetValueJSON, len(f.Values))}
		for i, v := range f.Values {
			fj.Values[i] = facetValueJSON{Value: v.Value, Count: v.Count, AtLeast: fs.Partial, Selected: v.Selected}
		}
		out = append(out, fj)
	}
	return out, &priceRangeJSON{MinCents: fs.PriceMin, MaxCents: fs.PriceMax}
}
