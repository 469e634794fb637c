package api

import (
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type productJSON struct {
	ID           int64            `json:"id"`
	Slug         string           `json:"slug"`
	Name         string           `json:"name"`
	Description  string           `json:"description"`
	Brand        string           `json:"brand"`
	PriceCents   int64            `json:"price_cents"` // lowest variant price
	Currency     string           `json:"currency"`
	InStock      bool             `json:"in_stock"`
	Availability string           `json:"availability"`
	ImageURL     *string          `json:"image_url"`
	Attributes   []catalog.Option `json:"attributes"` // the product's own (Material: Cotton), in the merchant's order
	Variants     []variantJSON    `json:"variants"`
	Images       []imageJSON      `json:"images"`
	Categories   []crumbJSON      `json:"categories"` // breadcrumb, root first
}

type variantJSON struct {
	ID          int64            `json:"id"`
	SKU         string           `json:"sku"`
	Name        string           `json:"name"`
	Options     []catalog.Option `json:"options"`
	PriceCents  int64            `json:"price_cents"`
	Currency    string           `json:"currency"`
	StockStatus string           `json:"stock_status"` // in_stock, low_stock or out_of_stock; never the count
}

type imageJSON struct {
	URL    string `json:"url"`
	Alt    string `json:"alt"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type crumbJSON struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// product serves GET /api/v1/products/{slug}. Lists are never null, so
// clients need no special case for a product without options or pictures.
func (h *Handler) product(w http.ResponseWriter, r *http.Request) {
	p, err := h.Catalog.ProductBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	out := productJSON{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, Brand: p.Brand,
		PriceCents: p.PriceCents, Currency: p.Currency, InStock: p.Stock > 0,
		Availability: string(p.Availability()), ImageURL: h.mediaURL(p.ImageKey),
		Attributes: nonNilOptions(p.Attributes),
		Variants:   make([]variantJSON, len(p.Variants)),
		Images:     make([]imageJSON, 0, len(p.Images)),
		Categories: make([]crumbJSON, len(p.Breadcrumb)),
	}
	for i, v := range p.Variants {
		out.Variants[i] = variantJSON{ID: v.ID, SKU: v.SKU, Name: v.Name, Options: nonNilOptions(v.Options),
			PriceCents: v.PriceCents, Currency: v.Currency, StockStatus: string(v.Availability())}
	}
	for _, img := range p.Images {
		if u := h.mediaURL(img.Key); u != nil {
			out.Images = append(out.Images, imageJSON{URL: *u, Alt: img.Alt, Width: img.Width, Height: img.Height})
		}
	}
	// Tagged with everything it shows: a category rename or move purges
	// category-{id}, and the breadcrumb names the categories.
	tags := []string{cachehdr.ProductTag(p.ID)}
	for i, c := range p.Breadcrumb {
		out.Categories[i] = crumbJSON{ID: c.ID, Slug: c.Slug, Name: c.Name}
		tags = append(tags, cachehdr.CategoryTag(c.ID))
	}
	WriteJSON(w, http.StatusOK, cachehdr.API, out, tags...)
}

// nonNilOptions is opts, or an empty list for nil: JSON lists are never null.
func nonNilOptions(opts []catalog.Option) []catalog.Option {
	if opts == nil {
		return []catalog.Option{}
	}
	return opts
}
