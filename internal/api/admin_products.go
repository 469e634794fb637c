package api

import (
	"net/http"
	"strconv"
	"time"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// adminProductJSON is a product as staff see it: any status, stock counts
// (shoppers only see a class), ids to patch.
type adminProductJSON struct {
	ID           int64              `json:"id"`
	Slug         string             `json:"slug"`
	Name         string             `json:"name"`
	Description  string             `json:"description"`
	Brand        string             `json:"brand"`
	Status       string             `json:"status"`
	Featured     bool               `json:"featured"`
	PriceCents   int64              `json:"price_cents"` // lowest variant price
	Currency     string             `json:"currency"`
	Stock        int                `json:"stock"` // over all variants
	Availability string             `json:"availability"`
	CategoryIDs  []int64            `json:"category_ids"`
	Attributes   []catalog.Option   `json:"attributes"`
	Variants     []adminVariantJSON `json:"variants"`
	Images       []adminImageJSON   `json:"images"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

type adminVariantJSON struct {
	ID           int64            `json:"id"`
	ProductID    int64            `json:"product_id"`
	SKU          string           `json:"sku"`
	Name         string           `json:"name"`
	Options      []catalog.Option `json:"options"`
	PriceCents   int64            `json:"price_cents"`
	Currency     string           `json:"currency"`
	Stock        int              `json:"stock"`
	Availability string           `json:"availability"`
}

type adminImageJSON struct {
	Key    string `json:"key"`
	URL    string `json:"url"`
	Alt    string `json:"alt"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

func (h *Handler) toAdminProduct(p *catalog.Product) adminProductJSON {
	out := adminProductJSON{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, Brand: p.Brand,
		Status: p.Status, Featured: p.Featured, PriceCents: p.PriceCents, Currency: p.Currency, Stock: p.Stock,
		Availability: string(p.Availability()), CategoryIDs: p.CategoryIDs, Attributes: nonNilOptions(p.Attributes),
		Variants: make([]adminVariantJSON, len(p.Variants)), Images: make([]adminImageJSON, len(p.Images)),
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if out.CategoryIDs == nil {
		out.CategoryIDs = []int64{}
	}
	for i, v := range p.Variants {
		out.Variants[i] = toAdminVariant(v)
	}
	for i, img := range p.Images {
		out.Images[i] = adminImageJSON{Key: img.Key, URL: *h.mediaURL(img.Key), Alt: img.Alt, Width: img.Width, Height: img.Height}
	}
	return out
}

func toAdminVariant(v catalog.Variant) adminVariantJSON {
	return adminVariantJSON{ID: v.ID, ProductID: v.ProductID, SKU: v.SKU, Name: v.Name, Options: nonNilOptions(v.Options),
		PriceCents: v.PriceCents, Currency: v.Currency, Stock: v.Stock, Availability: string(v.Availability())}
}

type adminSummaryJSON struct {
	ID         int64     `json:"id"`
	Slug       string    `json:"slug"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	PriceCents int64     `json:"price_cents"`
	Currency   string    `json:"currency"`
	Stock      int       `json:"stock"`
	ImageURL   *string   `json:"image_url"`
	CreatedAt  time.Time `json:"created_at"`
}

type adminListJSON struct {
	Items   []adminSummaryJSON `json:"items"`
	Total   int                `json:"total"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
	Pages   int                `json:"pages"`
}

// adminListProducts serves GET /api/v1/admin/products.
func (h *Handler) adminListProducts(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := catalog.AdminQuery{Query: v.Get("q"), Status: v.Get("status")}
	var err error
	if q.Page, err = positive(v.Get("page"), "page"); err != nil {
		h.fail(w, r, err)
		return
	}
	if q.PerPage, err = positive(v.Get("per_page"), "per_page"); err != nil {
		h.fail(w, r, err)
		return
	}
	if raw := v.Get("category_id"); raw != "" {
		if q.CategoryID, err = strconv.ParseInt(raw, 10, 64); err != nil || q.CategoryID <= 0 {
			h.fail(w, r, fault.Field("category_id", "category_id must be a category's id."))
			return
		}
	}
	res, err := h.Catalog.AdminList(r.Context(), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := adminListJSON{Items: make([]adminSummaryJSON, len(res.Items)), Total: res.Total, Page: res.Page,
		PerPage: res.PerPage, Pages: res.Pages()}
	for i, s := range res.Items {
		out.Items[i] = adminSummaryJSON{ID: s.ID, Slug: s.Slug, Name: s.Name, Status: s.Status, PriceCents: s.PriceCents,
			Currency: s.Currency, Stock: s.Stock, ImageURL: h.mediaURL(s.ImageKey), CreatedAt: s.CreatedAt.UTC()}
	}
	writePrivate(w, http.StatusOK, out)
}

// adminProduct serves GET /api/v1/admin/products/{id}.
func (h *Handler) adminProduct(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeAdminProduct(w, r, http.StatusOK, id)
}

func (h *Handler) writeAdminProduct(w http.ResponseWriter, r *http.Request, status int, id int64) {
	p, err := h.Catalog.ProductByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, status, h.toAdminProduct(p))
}

type newVariantJSON struct {
	SKU        string           `json:"sku"`
	Name       string           `json:"name"`
	Options    []catalog.Option `json:"options"`
	PriceCents int64            `json:"price_cents"`
	Currency   string           `json:"currency"`
	Stock      int              `json:"stock"`
}

func (v newVariantJSON) variant() catalog.NewVariant {
	return catalog.NewVariant{SKU: v.SKU, Name: v.Name, Options: v.Options, PriceCents: v.PriceCents,
		Currency: v.Currency, Stock: v.Stock}
}

type newProductJSON struct {
	Name        string           `json:"name"`
	Slug        string           `json:"slug"`
	Description string           `json:"description"`
	Brand       string           `json:"brand"`
	Status      string           `json:"status"`
	Featured    bool             `json:"featured"`
	CategoryIDs []int64          `json:"category_ids"`
	Attributes  []catalog.Option `json:"attributes"`
	Variants    []newVariantJSON `json:"variants"`
}

// adminCreateProduct serves POST /api/v1/admin/products: 201 with the
// product (its variant ids included) and its address in Location.
func (h *Handler) adminCreateProduct(w http.ResponseWriter, r *http.Request) {
	var in newProductJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	np := catalog.NewProduct{Name: in.Name, Slug: in.Slug, Description: in.Description, Brand: in.Brand,
		Status: in.Status, Featured: in.Featured, CategoryIDs: in.CategoryIDs, Attributes: in.Attributes,
		Variants: make([]catalog.NewVariant, len(in.Variants))}
	for i, v := range in.Variants {
		np.Variants[i] = v.variant()
	}
	p, err := h.Catalog.CreateProduct(r.Context(), np)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "product created", "product_id", p.ID)
	w.Header().Set("Location", "/api/v1/admin/products/"+strconv.FormatInt(p.ID, 10))
	writePrivate(w, http.StatusCreated, h.toAdminProduct(p))
}

type productPatchJSON struct {
	Name        *string           `json:"name"`
	Slug        *string           `json:"slug"`
	Description *string           `json:"description"`
	Brand       *string           `json:"brand"`
	Status      *string           `json:"status"`
	Featured    *bool             `json:"featured"`
	CategoryIDs *[]int64          `json:"category_ids"`
	Attributes  *[]catalog.Option `json:"attributes"` // replaces them all; [] removes them
}

// adminPatchProduct serves PATCH /api/v1/admin/products/{id}: absent (or
// null) fields stay as they are; status "archived" takes the product off
// the shelves.
func (h *Handler) adminPatchProduct(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in productPatchJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Catalog.UpdateProduct(r.Context(), id, catalog.ProductPatch{Name: in.Name, Slug: in.Slug,
		Description: in.Description, Brand: in.Brand, Status: in.Status, Featured: in.Featured, CategoryIDs: in.CategoryIDs,
		Attributes: in.Attributes})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "product updated", "product_id", id)
	writePrivate(w, http.StatusOK, h.toAdminProduct(p))
}
