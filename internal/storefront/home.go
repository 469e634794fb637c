package storefront

import (
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type homePage struct {
	layout
	Featured []catalog.Summary
	Newest   []catalog.Summary
}

// home serves GET /: featured and new products, and the top categories.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	featured, err := h.Catalog.Featured(ctx, catalog.HomeShelf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	newest, err := h.Catalog.Newest(ctx, catalog.HomeShelf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := homePage{
		layout:   h.newLayout(r, "", "Shop "+h.storeName()+": new arrivals, featured products and every category, delivered to your door.", "/"),
		Featured: featured,
		Newest:   newest,
	}
	var tags cachehdr.Tags
	tags.Add(cachehdr.TagHome)
	addProductTags(&tags, featured)
	addProductTags(&tags, newest)
	h.render(w, r, http.StatusOK, "home", data, cachehdr.Page, tags.List()...)
}

func addProductTags(tags *cachehdr.Tags, items []catalog.Summary) {
	for _, it := range items {
		tags.Add(cachehdr.ProductTag(it.ID))
	}
}
