package admin

import (
	"net/http"
	"strings"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/page"
)

// Each variant row of the product page is its own small form (inputs tie
// to it with the form attribute, so a table row can hold one without
// JavaScript). Inputs are named sku, name, options, price_cents, stock;
// catalog's "variants.sku"-style fields map onto them.

var variantNames = []string{"sku", "name", "options", "price_cents", "stock"}

type variantRow struct {
	ID    int64 // 0 for the new-variant row
	Form  *form
	Stock int // stored stock, for the availability badge
}

// Availability of the stored stock.
func (v variantRow) Availability() catalog.Availability { return catalog.AvailabilityOf(v.Stock) }

func variantFormOf(v catalog.Variant) *form {
	f := emptyForm()
	f.Values["sku"] = v.SKU
	f.Values["name"] = v.Name
	f.Values["options"] = formatOptions(v.Options)
	f.Values["price_cents"] = money.Decimal(v.PriceCents, v.Currency)
	f.Values["stock"] = itoa(v.Stock)
	return f
}

// variantInput reads and parses a posted variant row of a product priced
// in currency; parse errors are recorded on f.
func variantInput(r *http.Request, currency string) (*form, catalog.NewVariant) {
	f := newForm(r, variantNames...)
	v := catalog.NewVariant{SKU: f.Value("sku"), Name: f.Value("name")}
	var err error
	if v.PriceCents, err = parseAmount("price_cents", "Price", f.Value("price_cents"), currency); err != nil {
		f.Fail(err, f.Has)
	}
	if v.Stock, err = parseCount("stock", "Stock", f.Value("stock")); err != nil {
		f.Fail(err, f.Has)
	}
	if v.Options, err = parseOptions("options", f.Value("options")); err != nil {
		f.Fail(err, f.Has)
	}
	if v.SKU == "" {
		f.Set("sku", "A SKU is required.")
	}
	return f, v
}

// variantShown maps catalog's field names onto the row's inputs.
func variantFail(f *form, err error) {
	for _, e := range page.Errors(err) {
		field := strings.TrimPrefix(e.Field, "variants.")
		if f.Has(field) {
			f.Set(field, e.Message)
		} else if f.Message == "" {
			f.Message = fault.MessageOf(e)
		}
	}
}

// variantSave serves POST /admin/products/{id}/variants/{vid}.
func (h *Handler) variantSave(w http.ResponseWriter, r *http.Request) {
	id, ok := h.productID(w, r)
	if !ok {
		return
	}
	vid, ok := h.pathID(w, r, "vid")
	if !ok || !h.parsePost(w, r) {
		return
	}
	p, err := h.Catalog.ProductByID(r.Context(), id) // its currency reads the price
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, v := variantInput(r, p.Currency)
	if !f.Invalid() {
		_, err := h.Catalog.UpdateVariant(r.Context(), vid, catalog.VariantPatch{
			SKU: &v.SKU, Name: &v.Name, Options: &v.Options, PriceCents: &v.PriceCents, Stock: &v.Stock})
		if err == nil {
			page.SeeOther(w, r, productURL(id)+"?done=saved#variants")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		variantFail(f, err)
	}
	h.showProduct(w, r, productView{status: http.StatusBadRequest, variantID: vid, variant: f})
}

// variantAdd serves POST /admin/products/{id}/variants.
func (h *Handler) variantAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := h.productID(w, r)
	if !ok || !h.parsePost(w, r) {
		return
	}
	p, err := h.Catalog.ProductByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, v := variantInput(r, p.Currency)
	if !f.Invalid() {
		v.Currency = p.Currency // one currency per product
		if _, err = h.Catalog.AddVariant(r.Context(), id, v); err == nil {
			page.SeeOther(w, r, productURL(id)+"?done=created#variants")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		variantFail(f, err)
	}
	h.showProduct(w, r, productView{status: http.StatusBadRequest, newVariant: true, variant: f})
}

// cellData is one input of a variant row (the "cell" template).
type cellData struct {
	Form, Name, Value, Error string
	Label, Inputmode         string
	Placeholder              string
	MaxLen                   int
	Disabled                 bool
}

// cellAttrs are the per-input attributes of a variant row.
var cellAttrs = map[string]cellData{
	"sku":         {Label: "SKU", MaxLen: 64},
	"name":        {Label: "Variant name", MaxLen: catalog.MaxNameLen},
	"options":     {Label: "Options", MaxLen: 400, Placeholder: "Size: M; Colour: Red"},
	"price_cents": {Label: "Price", MaxLen: 16, Inputmode: "decimal", Placeholder: "0.00"},
	"stock":       {Label: "Stock", MaxLen: 10, Inputmode: "numeric", Placeholder: "0"},
}

// cell is the template func "cell": input name of the row form formID.
func cell(formID, name string, f *form, writable bool) cellData {
	c := cellAttrs[name]
	c.Form, c.Name, c.Value, c.Error, c.Disabled = formID, name, f.Value(name), f.Error(name), !writable
	if formID == "vnew" && name == "sku" {
		c.Placeholder = "New SKU"
	}
	return c
}
