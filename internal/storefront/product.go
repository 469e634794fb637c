package storefront

import (
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type productPage struct {
	layout
	Product   *catalog.Product
	Crumbs    []crumb
	Selected  int64 // the variant checked by default: the first in stock
	Buyable   bool  // some variant is in stock
	PriceFrom bool  // variants differ in price, so the price is a minimum
	JSONLD    productLD
}

// product serves GET /products/{slug}.
func (h *Handler) product(w http.ResponseWriter, r *http.Request) {
	p, err := h.Catalog.ProductBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	desc := summarize(p.Description, 155)
	if desc == "" {
		desc = p.Name + " at " + h.storeName() + "."
	}
	data := productPage{
		layout:  h.newLayout(r, p.Name, desc, "/products/"+p.Slug),
		Product: p,
		JSONLD:  h.productJSONLD(r, p),
	}
	data.OGType = "product"
	if len(p.Images) > 0 {
		data.OGImage = h.absolute(r, h.media(p.Images[0].Key))
	}
	for _, c := range p.Breadcrumb {
		data.Crumbs = append(data.Crumbs, crumb{Name: c.Name, URL: "/categories/" + c.Slug})
	}
	data.Crumbs = h.breadcrumbs(append(data.Crumbs, crumb{Name: p.Name})...)
	if len(p.Breadcrumb) > 0 {
		data.NavCurrent = p.Breadcrumb[0].ID
	}
	for _, v := range p.Variants {
		if v.Stock > 0 && !data.Buyable {
			data.Buyable, data.Selected = true, v.ID
		}
		if v.PriceCents != p.Variants[0].PriceCents {
			data.PriceFrom = true
		}
	}
	h.render(w, r, http.StatusOK, "product", data, cachehdr.Page, cachehdr.ProductTag(p.ID))
}
