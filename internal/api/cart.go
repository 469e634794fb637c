package api

import (
	"net/http"
	"strconv"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/session"
)

type cartJSON struct {
	Lines         []cartLineJSON `json:"lines"` // never null
	Count         int            `json:"count"` // units, as in the header
	SubtotalCents int64          `json:"subtotal_cents"`
	Currency      string         `json:"currency"`
}

type cartLineJSON struct {
	VariantID      int64            `json:"variant_id"`
	ProductID      int64            `json:"product_id"`
	SKU            string           `json:"sku"`
	ProductSlug    string           `json:"product_slug"`
	ProductName    string           `json:"product_name"`
	VariantName    string           `json:"variant_name"`
	Options        []catalog.Option `json:"options"`
	ImageURL       *string          `json:"image_url"`
	UnitPriceCents int64            `json:"unit_price_cents"`
	Currency       string           `json:"currency"`
	Quantity       int              `json:"quantity"`
	LineTotalCents int64            `json:"line_total_cents"`
	StockStatus    string           `json:"stock_status"` // as on the product; never the count
}

func (h *Handler) toCartJSON(c cart.Cart) cartJSON {
	out := cartJSON{Lines: make([]cartLineJSON, len(c.Lines)), Count: c.Count,
		SubtotalCents: c.SubtotalCents, Currency: c.Currency}
	for i, l := range c.Lines {
		opts := l.Options
		if opts == nil {
			opts = []catalog.Option{}
		}
		out.Lines[i] = cartLineJSON{VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU,
			ProductSlug: l.ProductSlug, ProductName: l.ProductName, VariantName: l.VariantName,
			Options: opts, ImageURL: h.mediaURL(l.ImageKey), UnitPriceCents: l.UnitPriceCents,
			Currency: l.Currency, Quantity: l.Quantity, LineTotalCents: l.LineTotalCents,
			StockStatus: string(catalog.AvailabilityOf(l.Stock))}
	}
	return out
}

// getCart serves GET /api/v1/cart: an empty cart without a session.
func (h *Handler) getCart(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var c cart.Cart
	if v.hasSession() {
		if c, err = h.Carts.Get(r.Context(), v.cartOwner()); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	writePrivate(w, http.StatusOK, h.toCartJSON(c))
}

type addItemRequest struct {
	VariantID int64 `json:"variant_id"`
	Quantity  int   `json:"quantity"`
}

// addItem serves POST /api/v1/cart/items, the one request that creates a
// session for a guest. Input is checked first, and a session created for an
// add that fails anyway (unknown variant, no stock) is ended again, so bad
// requests leave neither a cookie nor a session row behind.
func (h *Handler) addItem(w http.ResponseWriter, r *http.Request) {
	var in addItemRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkQuantity(in.Quantity, 1); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.VariantID <= 0 {
		h.fail(w, r, fault.Field("variant_id", "variant_id must be the id of a product variant."))
		return
	}
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created := false
	if !v.hasSession() {
		s, err := h.Sessions.Ensure(w, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v, created = visitorFrom(s), true
	}
	c, err := h.Carts.Add(r.Context(), v.cartOwner(), in.VariantID, in.Quantity)
	if err != nil {
		if created {
			h.dropNewSession(w, r)
		}
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, h.toCartJSON(c))
}

type setItemRequest struct {
	// Quantity is required: a body without it must not read as 0 (remove).
	Quantity *int `json:"quantity"`
}

// setItem serves PATCH /api/v1/cart/items/{variant_id}; quantity 0 removes.
func (h *Handler) setItem(w http.ResponseWriter, r *http.Request) {
	id, err := variantIDParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in setItemRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Quantity == nil {
		h.fail(w, r, fault.Field("quantity", "quantity is required (0 removes the item)."))
		return
	}
	if err := checkQuantity(*in.Quantity, 0); err != nil {
		h.fail(w, r, err)
		return
	}
	h.changeCart(w, r, func(o cart.Owner) (cart.Cart, error) {
		return h.Carts.Set(r.Context(), o, id, *in.Quantity)
	})
}

// removeItem serves DELETE /api/v1/cart/items/{variant_id}.
func (h *Handler) removeItem(w http.ResponseWriter, r *http.Request) {
	id, err := variantIDParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.changeCart(w, r, func(o cart.Owner) (cart.Cart, error) {
		return h.Carts.Remove(r.Context(), o, id)
	})
}

// changeCart applies change to the visitor's cart. Without a session there
// is no cart, so no line to change: 404, and no session is created.
func (h *Handler) changeCart(w http.ResponseWriter, r *http.Request, change func(cart.Owner) (cart.Cart, error)) {
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !v.hasSession() {
		h.fail(w, r, fault.New(fault.NotFound, "This item is not in your cart."))
		return
	}
	c, err := change(v.cartOwner())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, h.toCartJSON(c))
}

// checkQuantity refuses quantities outside min..cart.MaxQuantity before
// anything is looked up or written.
func checkQuantity(q, min int) error {
	if q < min || q > cart.MaxQuantity {
		return fault.Field("quantity", "quantity must be a whole number from %d to %d.", min, cart.MaxQuantity)
	}
	return nil
}

func variantIDParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("variant_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Field("variant_id", "variant_id in the address must be the id of a product variant.")
	}
	return id, nil
}

// dropNewSession ends the session Ensure has just created for this request
// (its id is only in the Set-Cookie header so far) and takes the cookie
// back. A failure here is logged, not shown: cleanup removes the row later.
func (h *Handler) dropNewSession(w http.ResponseWriter, r *http.Request) {
	set := w.Header().Values("Set-Cookie")
	w.Header().Del("Set-Cookie")
	for _, line := range set {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Name != session.CookieName {
			continue
		}
		own := r.Clone(r.Context())
		own.Header.Del("Cookie")
		own.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		if err := h.Sessions.Logout(r.Context(), w, own); err != nil {
			h.log().WarnContext(r.Context(), "api: could not end an unused session", "err", err)
		}
	}
	w.Header().Del("Set-Cookie")
}
