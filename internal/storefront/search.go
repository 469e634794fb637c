package storefront

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/fault"
)

// TagSearch marks every search page, so an operator can purge all of them.
const TagSearch = "search"

type searchPage struct {
	layout
	Listing listing
	Facets  facetView
	// Corrected is the search the results answer when the shopper's
	// matched nothing and its misspelt words were replaced.
	Corrected string
}

// search serves GET /search?q=: the same listing as a category, over the
// whole catalog, ranked by relevance by default. An empty q shows just the
// search form.
func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if !utf8.ValidString(query) {
		h.BadRequest(w, r, fault.Field("q", "The search text is not valid UTF-8."))
		return
	}
	// Longer searches are a mistake or an attack, and would make full-text
	// queries needlessly expensive.
	if utf8.RuneCountInString(query) > catalog.MaxQueryLen {
		h.BadRequest(w, r, fault.Field("q", "Search text can be at most %d characters long; please shorten it.", catalog.MaxQueryLen))
		return
	}
	p, err := h.parseFilteredListParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if query != "" && h.redirectCanonical(w, r, "/search", query, p) {
		return
	}
	data := searchPage{layout: h.newLayout(r, "Search", "Search the products of "+h.storeName()+".", "/search")}
	// Result pages are thin, ever-changing content: crawlers may follow
	// their links but should not index them.
	data.Robots = "noindex, follow"
	data.Query = query
	if query == "" {
		h.render(w, r, http.StatusOK, "search", data, cachehdr.Search, TagSearch)
		return
	}
	lq := catalog.ListQuery{Query: query, Sort: p.Sort, Page: p.Page, PerPage: p.PerPage, Filters: p.Filters}
	res, err := h.Catalog.List(r.Context(), lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Total == 0 {
		// Nothing matched: a misspelt word, perhaps (catalog.Correct).
		if cq, shown, ok := h.Catalog.Correct(r.Context(), lq); ok {
			if res, err = h.Catalog.List(r.Context(), cq); err != nil {
				h.fail(w, r, err)
				return
			}
			lq, data.Corrected = cq, shown
		}
	}
	facets, err := h.Catalog.Facets(r.Context(), lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Facets = newFacetView("/search", query, p, facets)
	if p.Filters.Depth() >= deepFilters {
		data.Robots = "noindex, nofollow"
	}
	data.Title = "Results for “" + truncate(query, 60) + "”"
	data.Canonical = h.origin(r) + listURL("/search", query, p, p.Page, false)
	data.Listing = newListing("/search", query, p, res, "No products match your search. Try fewer or different words.")
	data.PrevURL, data.NextURL = h.absoluteOrEmpty(r, data.Listing.Pager.Prev), h.absoluteOrEmpty(r, data.Listing.Pager.Next)

	var tags cachehdr.Tags
	tags.Add(TagSearch)
	addProductTags(&tags, res.Items)
	h.render(w, r, http.StatusOK, "search", data, cachehdr.Search, tags.List()...)
}
