package storefront

import (
	"net/http"
	"strconv"

	"agora/internal/cart"
	"agora/internal/fault"
	"agora/internal/page"
	"agora/internal/session"
)

type cartPage struct {
	layout
	Cart cart.Cart
	// Error is why the last change was refused; it shows next to the line
	// of ErrorVariant when the cart has that line (ErrorOnLine), else at
	// the top.
	Error        string
	ErrorVariant int64
	ErrorOnLine  bool
}

// cartPage serves GET /cart. A visitor without a session sees an empty
// cart; looking does not create one.
func (h *Handler) cartPage(w http.ResponseWriter, r *http.Request) {
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	h.showCart(w, r, s, http.StatusOK, nil, 0)
}

// showCart renders the cart of s, with failure (the refused change to
// variantID) if any.
func (h *Handler) showCart(w http.ResponseWriter, r *http.Request, s *session.Session, status int, failure error, variantID int64) {
	if failure != nil && fault.CodeOf(failure) == fault.Internal {
		h.ServerError(w, r, failure)
		return
	}
	var c cart.Cart
	if s != nil {
		var err error
		if c, err = h.Carts.Get(r.Context(), ownerOf(s)); err != nil {
			h.ServerError(w, r, err)
			return
		}
	}
	data := cartPage{layout: h.shopLayout(r, "Your cart"), Cart: c}
	if failure != nil {
		data.Error = fault.MessageOf(failure)
		for _, l := range c.Lines {
			if l.VariantID == variantID {
				data.ErrorVariant, data.ErrorOnLine = variantID, true
			}
		}
	}
	h.renderPrivate(w, r, status, "cart", data)
}

// cartAdd serves POST /cart/items, the product page's add-to-cart form:
// the first stateful thing a visitor does, so it creates the session.
func (h *Handler) cartAdd(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	variantID, err := formID(r.PostFormValue("variant_id"), "variant_id", "Choose which item to add.")
	qty := 1 // a bare "add" button sends no quantity
	if v := r.PostFormValue("quantity"); err == nil && v != "" {
		qty, err = cart.ParseQuantity(v)
	}
	if err != nil {
		h.refuseCartChange(w, r, err, 0)
		return
	}
	s, err := h.Sessions.Ensure(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	if _, err := h.Carts.Add(r.Context(), ownerOf(s), variantID, qty); err != nil {
		h.showCart(w, r, s, page.Status(err), err, variantID)
		return
	}
	page.SeeOther(w, r, "/cart")
}

// cartSet serves POST /cart/items/{variant_id}: the line's new quantity, 0
// removing it.
func (h *Handler) cartSet(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	variantID, ok := pathID(r, "variant_id")
	if !ok {
		h.privateNotFound(w, r)
		return
	}
	qty, err := cart.ParseQuantity(r.PostFormValue("quantity"))
	if err != nil {
		h.refuseCartChange(w, r, err, variantID)
		return
	}
	s, err := h.currentSession(w, r)
	if err != nil || s == nil {
		h.afterCartChange(w, r, err)
		return
	}
	if _, err := h.Carts.Set(r.Context(), ownerOf(s), variantID, qty); err != nil {
		h.showCart(w, r, s, page.Status(err), err, variantID)
		return
	}
	page.SeeOther(w, r, "/cart")
}

// cartRemove serves POST /cart/items/{variant_id}/remove.
func (h *Handler) cartRemove(w http.ResponseWriter, r *http.Request) {
	variantID, ok := pathID(r, "variant_id")
	if !ok {
		h.privateNotFound(w, r)
		return
	}
	s, err := h.currentSession(w, r)
	if err == nil && s != nil {
		_, err = h.Carts.Remove(r.Context(), ownerOf(s), variantID)
	}
	h.afterCartChange(w, r, err)
}

// afterCartChange redirects to the cart, or fails with err. Without a
// session there is no cart to change: the shopper simply sees it empty.
func (h *Handler) afterCartChange(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	page.SeeOther(w, r, "/cart")
}

// refuseCartChange shows the cart with a message about input that never
// reached the cart service.
func (h *Handler) refuseCartChange(w http.ResponseWriter, r *http.Request, failure error, variantID int64) {
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	h.showCart(w, r, s, page.Status(failure), failure, variantID)
}

// formID parses a positive id typed or posted into a form field.
func formID(v, name, msg string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Field(name, "%s", msg)
	}
	return id, nil
}

// pathID parses the positive id in a path segment.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
