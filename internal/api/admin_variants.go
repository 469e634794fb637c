package api

import (
	"net/http"

	"agora/internal/catalog"
)

type variantPatchJSON struct {
	PriceCents *int64            `json:"price_cents"`
	Stock      *int              `json:"stock"`
	Name       *string           `json:"name"`
	SKU        *string           `json:"sku"`
	Options    *[]catalog.Option `json:"options"`
}

// adminPatchVariant serves PATCH /api/v1/admin/variants/{id}: a price or
// stock edit (or name, SKU, options). The product's price and stock follow.
func (h *Handler) adminPatchVariant(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "variant")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in variantPatchJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.Catalog.UpdateVariant(r.Context(), id, catalog.VariantPatch{PriceCents: in.PriceCents, Stock: in.Stock,
		Name: in.Name, SKU: in.SKU, Options: in.Options})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "variant updated", "variant_id", id, "product_id", v.ProductID)
	writePrivate(w, http.StatusOK, toAdminVariant(v))
}

// adminAddVariant serves POST /api/v1/admin/products/{id}/variants.
func (h *Handler) adminAddVariant(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "product")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in newVariantJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.Catalog.AddVariant(r.Context(), id, in.variant())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "variant added", "variant_id", v.ID, "product_id", id)
	writePrivate(w, http.StatusCreated, toAdminVariant(v))
}
