package api

import (
	"net/http"
	"strconv"

	"agora/internal/fault"
	"agora/internal/staff"
)

// The admin endpoints (issue 4), for scripts and operators, with
// "Authorization: Bearer <api key>" (staff.RequireAPI: 401 without a live
// key, 403 when the key's role lacks the permission in brackets; reading
// the catalog needs none):
//
//	GET    /api/v1/admin/products?q=&status=&category_id=&page=&per_page=  products of any status, newest first
//	POST   /api/v1/admin/products                 [catalog.write] {name, slug?, description?, brand?, status?, featured?, category_ids, variants:[{sku, name?, options?, price_cents, currency?, stock}]} → 201 product
//	GET    /api/v1/admin/products/{id}            the product, with variant ids and stock counts
//	PATCH  /api/v1/admin/products/{id}            [catalog.write] {name?, slug?, description?, brand?, status?, featured?, category_ids?}
//	POST   /api/v1/admin/products/{id}/variants   [catalog.write] {sku, name?, options?, price_cents, stock} → 201 variant
//	PATCH  /api/v1/admin/variants/{id}            [catalog.write] {price_cents?, stock?, name?, sku?, options?}
//	POST   /api/v1/admin/media                    [catalog.write] multipart/form-data, field "file" → 201 {key, url, content_type, width, height, bytes, variants:{thumbnail, card, large: {key, url}}}
//	POST   /api/v1/admin/products/{id}/images     [catalog.write] {key, alt?}: append an uploaded image
//	PUT    /api/v1/admin/products/{id}/images     [catalog.write] {images:[{key, alt?}]}: reorder, add, remove
//	GET    /api/v1/admin/categories               every category, flat, in tree order
//	POST   /api/v1/admin/categories               [catalog.write] {name, slug?, description?, parent_id?, position?} → 201
//	PATCH  /api/v1/admin/categories/{id}          [catalog.write] {name?, slug?, description?, parent_id?, position?} (parent_id 0: top level)
//	DELETE /api/v1/admin/categories/{id}          [catalog.write] → 204; refused (409) while it has subcategories
//	GET    /api/v1/admin/orders?status=&q=&page=&per_page=  [orders.read] newest first; q is the beginning of an order number or part of the e-mail
//	GET    /api/v1/admin/orders/{number}          [orders.read]
//	POST   /api/v1/admin/orders/{number}/status   [orders.write] {status, note?}: cancelling or refunding restocks once (a card payment is refunded with /refunds)
//	GET    /api/v1/admin/orders/{number}/refunds  [orders.read]
//	POST   /api/v1/admin/orders/{number}/refunds  [orders.write] {key, lines?: [{line_no, quantity}], amount_cents?, note?}: idempotent by key; lines go back to stock once
//
// JSON bodies are at most MaxAdminBody bytes, with the rules of the shopping
// endpoints (unknown fields, type errors and invalid UTF-8 are 400 naming the
// field). Prices are integer cents; a price sent as "12,5€" is refused, not
// guessed. Every answer is private, and every change is logged with the
// staff member who made it. Each catalog change appends exactly the cache
// tags it affects to the purge log, in its own transaction (catalog).

// MaxAdminBody bounds admin JSON bodies: a product with a long description
// and a hundred variants fits with room to spare.
const MaxAdminBody = 1 << 20

// MaxMediaBody bounds an upload request: media's largest image (20 MiB)
// and its multipart envelope. The app tier's body limit applies too.
const MaxMediaBody = 25 << 20

// registerAdmin adds the admin routes when Staff is set.
func (h *Handler) registerAdmin(mux *http.ServeMux) {
	if h.Staff == nil {
		return
	}
	route := func(pattern string, p staff.Perm, fn http.HandlerFunc) {
		mux.Handle(pattern, h.Staff.RequireAPI(p, fn))
	}
	route("GET /api/v1/admin/products", "", h.adminListProducts)
	route("POST /api/v1/admin/products", staff.CatalogWrite, h.adminCreateProduct)
	route("GET /api/v1/admin/products/{id}", "", h.adminProduct)
	route("PATCH /api/v1/admin/products/{id}", staff.CatalogWrite, h.adminPatchProduct)
	route("POST /api/v1/admin/products/{id}/variants", staff.CatalogWrite, h.adminAddVariant)
	route("PATCH /api/v1/admin/variants/{id}", staff.CatalogWrite, h.adminPatchVariant)
	route("POST /api/v1/admin/products/{id}/images", staff.CatalogWrite, h.adminAddImage)
	route("PUT /api/v1/admin/products/{id}/images", staff.CatalogWrite, h.adminSetImages)
	if h.Media != nil && h.DB != nil {
		route("POST /api/v1/admin/media", staff.CatalogWrite, h.adminUploadMedia)
	}
	route("GET /api/v1/admin/categories", "", h.adminCategories)
	route("POST /api/v1/admin/categories", staff.CatalogWrite, h.adminCreateCategory)
	route("PATCH /api/v1/admin/categories/{id}", staff.CatalogWrite, h.adminPatchCategory)
	route("DELETE /api/v1/admin/categories/{id}", staff.CatalogWrite, h.adminDeleteCategory)
	if h.Checkout != nil {
		route("GET /api/v1/admin/orders", staff.OrdersRead, h.adminListOrders)
		route("GET /api/v1/admin/orders/{number}", staff.OrdersRead, h.adminOrder)
		route("POST /api/v1/admin/orders/{number}/status", staff.OrdersWrite, h.adminOrderStatus)
		route("GET /api/v1/admin/orders/{number}/refunds", staff.OrdersRead, h.adminRefunds)
		route("POST /api/v1/admin/orders/{number}/refunds", staff.OrdersWrite, h.adminRefund)
	}
}

// decodeAdmin reads an admin JSON body into v.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONMax(w, r, v, MaxAdminBody)
}

// idParam reads the path's {id}; anything but a positive whole number is
// the same "not found" as an id that does not exist.
func idParam(r *http.Request, what string) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.New(fault.NotFound, "There is no %s with id %q.", what, truncateRunes(raw, 40))
	}
	return id, nil
}

// audit logs a change with the staff member who made it: the admin's
// trail of who changed what (never at a hot path's rate).
func (h *Handler) audit(r *http.Request, action string, attrs ...any) {
	st, _ := staff.From(r.Context())
	h.log().InfoContext(r.Context(), "admin: "+action, append([]any{"staff_id", st.ID}, attrs...)...)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
