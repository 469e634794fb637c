package admin

import (
	"net/http"
	"strconv"
	"strings"

	"agora/internal/catalog"
	"agora/internal/money"
	"agora/internal/page"
)

// A new product is created with its first variant, since catalog requires
// at least one; more variants and the images are added on its edit page.

var newVariantNames = []string{"variants.sku", "variants.name", "variants.options", "variants.price_cents", "variants.stock"}

func firstVariantFields(f *form, currency string) []input {
	return f.Fill([]input{
		{Name: "variants.sku", Label: "SKU", Required: true, MaxLen: 64},
		{Name: "variants.name", Label: "Variant name", MaxLen: catalog.MaxNameLen, Hint: "Empty: the product's name."},
		{Name: "variants.price_cents", Label: "Price (" + currency + ")", Required: true, Inputmode: "decimal", Placeholder: money.Decimal(0, currency)},
		{Name: "variants.stock", Label: "Stock", Required: true, Inputmode: "numeric"},
		{Name: "variants.options", Label: "Options", Class: "full", Placeholder: "Size: M; Colour: Red", Hint: "Name: value pairs separated by semicolons; may stay empty."},
	})
}

type productNewPage struct {
	layout
	Form       *form
	Fields     []input
	Variant    []input
	Categories []catChoice
}

// productNew serves GET /admin/products/new.
func (h *Handler) productNew(w http.ResponseWriter, r *http.Request) {
	f := emptyForm()
	f.Values["status"] = "draft"
	f.Values["variants.stock"] = "0"
	h.showProductNew(w, r, http.StatusOK, f, nil)
}

func (h *Handler) showProductNew(w http.ResponseWriter, r *http.Request, status int, f *form, checked []int64) {
	ctx := r.Context()
	st, err := h.Checkout.Settings(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cats, err := h.categoryChoices(ctx, checked)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, "product_new", productNewPage{layout: h.newLayout(r, "New product", "products"),
		Form: f, Fields: productFields(f), Variant: firstVariantFields(f, st.Currency), Categories: cats})
}

// productCreate serves POST /admin/products.
func (h *Handler) productCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f := newForm(r, append(productNames, newVariantNames...)...)
	cats := postedIDs(r, "category_ids")
	st, err := h.Checkout.Settings(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	np := catalog.NewProduct{Name: f.Value("name"), Slug: f.Value("slug"), Brand: f.Value("brand"),
		Status: f.Value("status"), Featured: f.Checked("featured"), Description: r.PostFormValue("description"),
		CategoryIDs: cats}
	v := catalog.NewVariant{SKU: f.Value("variants.sku"), Name: f.Value("variants.name"), Currency: st.Currency}
	if v.PriceCents, err = parseAmount("variants.price_cents", "Price", f.Value("variants.price_cents"), st.Currency); err != nil {
		f.Fail(err, f.Has)
	}
	if v.Stock, err = parseCount("variants.stock", "Stock", f.Value("variants.stock")); err != nil {
		f.Fail(err, f.Has)
	}
	if v.Options, err = parseOptions("variants.options", f.Value("variants.options")); err != nil {
		f.Fail(err, f.Has)
	}
	if np.Attributes, err = parseAttributes("attributes", f.Value("attributes")); err != nil {
		f.Fail(err, f.Has)
	}
	if strings.TrimSpace(v.SKU) == "" {
		f.Set("variants.sku", "A SKU is required.")
	}
	np.Variants = []catalog.NewVariant{v}
	if !f.Invalid() {
		p, err := h.Catalog.CreateProduct(ctx, np)
		if err == nil {
			page.SeeOther(w, r, "/admin/products/"+strconv.FormatInt(p.ID, 10)+"?done=created")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, func(field string) bool { return f.Has(field) || field == "category_ids" })
	}
	h.showProductNew(w, r, http.StatusBadRequest, f, cats)
}
