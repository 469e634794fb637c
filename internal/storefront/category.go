package storefront

import (
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type categoryPage struct {
	layout
	Category *catalog.Category
	Crumbs   []crumb
	Listing  listing
	Facets   facetView
}

// category serves GET /categories/{slug}: the category's products (its
// subcategories' included) with sort and pagination.
func (h *Handler) category(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cat, path, err := h.Catalog.CategoryBySlug(ctx, r.PathValue("slug"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.parseFilteredListParams(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	self := "/categories/" + cat.Slug
	if h.redirectCanonical(w, r, self, "", p) {
		return
	}
	lq := catalog.ListQuery{CategoryID: cat.ID, Sort: p.Sort, Page: p.Page, PerPage: p.PerPage, Filters: p.Filters}
	res, err := h.Catalog.List(ctx, lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	facets, err := h.Catalog.Facets(ctx, lq)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	title := cat.Name
	if p.Page > 1 {
		title += " – page " + strconv.Itoa(p.Page)
	}
	desc := summarize(cat.Description, 155)
	if desc == "" {
		desc = "Shop " + cat.Name + " at " + h.storeName() + "."
	}
	// The canonical URL keeps what changes the content (sort, page) and
	// drops per_page, so the variants of a page do not compete in search
	// engines.
	data := categoryPage{
		layout:   h.newLayout(r, title, desc, listURL(self, "", p, p.Page, false)),
		Category: cat,
		Crumbs:   h.breadcrumbs(categoryCrumbs(path, cat.ID)...),
		Listing:  newListing(self, "", p, res, "There are no products in this category yet."),
		Facets:   newFacetView(self, "", p, facets),
	}
	if p.Filters.Active() {
		data.Listing.EmptyText = "No products in this category match these filters."
		data.Robots = robotsFor(p.Filters)
	}
	data.PrevURL, data.NextURL = h.absoluteOrEmpty(r, data.Listing.Pager.Prev), h.absoluteOrEmpty(r, data.Listing.Pager.Next)
	if len(path) > 0 {
		data.NavCurrent = path[0].ID
	}

	var tags cachehdr.Tags
	tags.Add(cachehdr.CategoryTag(cat.ID))
	addProductTags(&tags, res.Items)
	cc := cachehdr.Page
	if p.Filters.Active() {
		cc = filteredCache
	}
	h.render(w, r, http.StatusOK, "category", data, cc, tags.List()...)
}

func (h *Handler) absoluteOrEmpty(r *http.Request, u string) string {
	if u == "" {
		return ""
	}
	return h.absolute(r, u)
}
