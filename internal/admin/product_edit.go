package admin

import (
	"net/http"
	"strconv"

	"agora/internal/catalog"
	"agora/internal/page"
)

// productPage is the data of product.html: the product's form, its
// variants (one small form a row), its images, and whatever failed.
type productPage struct {
	layout
	Product    *catalog.Product
	Form       *form
	Fields     []input
	Categories []catChoice
	Variants   []variantRow
	NewVariant variantRow
	Images     []imageRow
	Thumbs     thumbs
	ImageForm  *form
}

// productView is what one rendering of the product page starts from:
// at most one of its forms failed.
type productView struct {
	status     int
	product    *form   // the product form, nil: from the stored product
	checked    []int64 // the categories ticked on a failed product form
	variantID  int64   // the variant row that failed (0: none)
	variant    *form   // its form; with variantID 0, the new-variant row's
	imageForm  *form
	newVariant bool
}

// productPage serves GET /admin/products/{id}.
func (h *Handler) productPage(w http.ResponseWriter, r *http.Request) {
	h.showProduct(w, r, productView{status: http.StatusOK})
}

// productID reads {id}; false means the answer was written.
func (h *Handler) productID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	return h.pathID(w, r, "id")
}

func (h *Handler) showProduct(w http.ResponseWriter, r *http.Request, v productView) {
	id, ok := h.productID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := h.Catalog.ProductByID(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := productPage{layout: h.newLayout(r, p.Name, "products"), Product: p, Form: v.product, ImageForm: v.imageForm}
	checked := p.CategoryIDs
	if data.Form == nil {
		data.Form = productFormOf(p)
	} else {
		checked = v.checked
	}
	data.Fields = productFields(data.Form)
	if data.Categories, err = h.categoryChoices(ctx, checked); err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, pv := range p.Variants {
		f := variantFormOf(pv)
		if v.variantID == pv.ID && v.variant != nil {
			f = v.variant
		}
		data.Variants = append(data.Variants, variantRow{ID: pv.ID, Form: f, Stock: pv.Stock})
	}
	data.NewVariant = variantRow{Form: emptyForm()}
	if v.newVariant && v.variant != nil {
		data.NewVariant.Form = v.variant
	}
	keys := make([]string, len(p.Images))
	for i, img := range p.Images {
		data.Images = append(data.Images, imageRow{Image: img, First: i == 0, Last: i == len(p.Images)-1})
		keys[i] = img.Key
	}
	if data.Thumbs, err = h.thumbs(ctx, keys); err != nil {
		h.serverError(w, r, err)
		return
	}
	if data.ImageForm == nil {
		data.ImageForm = emptyForm()
	}
	h.render(w, r, v.status, "product", data)
}

// productSave serves POST /admin/products/{id}: the product's own fields
// and categories, all at once.
func (h *Handler) productSave(w http.ResponseWriter, r *http.Request) {
	id, ok := h.productID(w, r)
	if !ok || !h.parsePost(w, r) {
		return
	}
	f := newForm(r, productNames...)
	cats := postedIDs(r, "category_ids")
	name, slug, brand, status := f.Value("name"), f.Value("slug"), f.Value("brand"), f.Value("status")
	desc, featured := r.PostFormValue("description"), f.Checked("featured")
	if slug == "" {
		slug = catalog.Slugify(name)
	}
	attrs, err := parseAttributes("attributes", f.Value("attributes"))
	if err == nil {
		_, err = h.Catalog.UpdateProduct(r.Context(), id, catalog.ProductPatch{Name: &name, Slug: &slug, Brand: &brand,
			Status: &status, Description: &desc, Featured: &featured, CategoryIDs: &cats, Attributes: &attrs})
	}
	if err == nil {
		page.SeeOther(w, r, productURL(id)+"?done=saved")
		return
	}
	if isInternal(err) {
		h.serverError(w, r, err)
		return
	}
	f.Fail(err, func(field string) bool { return f.Has(field) || field == "category_ids" })
	h.showProduct(w, r, productView{status: page.FormStatus(err), product: f, checked: cats})
}

// productArchive serves POST /admin/products/{id}/archive: shoppers stop
// seeing it; orders keep their copies of it.
func (h *Handler) productArchive(w http.ResponseWriter, r *http.Request) {
	id, ok := h.productID(w, r)
	if !ok {
		return
	}
	archived := "archived"
	if _, err := h.Catalog.UpdateProduct(r.Context(), id, catalog.ProductPatch{Status: &archived}); err != nil {
		h.fail(w, r, err)
		return
	}
	page.SeeOther(w, r, productURL(id)+"?done=archived")
}

func productURL(id int64) string { return "/admin/products/" + strconv.FormatInt(id, 10) }
