package storefront

import (
	"net/http"

	"agora/internal/checkout"
)

type orderPage struct {
	layout
	Order        *checkout.Order
	Summary      summary
	PaymentName  string
	ShippingName string
	// Placed: the order is still on its way, so the page thanks the
	// shopper and points at the confirmation e-mail.
	Placed bool
}

// ownOrder is the order of the path's {number} when the shopper may see
// it: the customer who owns it or the session that placed it. Anyone else
// gets the same 404 as for a number that does not exist, so numbers cannot
// be probed; ok false means the answer is written.
func (h *Handler) ownOrder(w http.ResponseWriter, r *http.Request) (o *checkout.Order, ok bool) {
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return nil, false
	}
	if s == nil {
		h.privateNotFound(w, r)
		return nil, false
	}
	o, err = h.Checkout.OrderFor(r.Context(), r.PathValue("number"), s.CustomerID, s.Hash)
	if err != nil {
		h.shopFail(w, r, err)
		return nil, false
	}
	return o, true
}

// orderPage serves GET /orders/{number}: only to the customer who owns the
// order or the session that placed it. Anyone else gets the same 404 as
// for a number that does not exist, so numbers cannot be probed.
func (h *Handler) orderPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, ok := h.ownOrder(w, r)
	if !ok {
		return
	}
	opts, err := h.Checkout.Options(ctx)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	data := orderPage{
		layout:       h.shopLayout(r, "Order "+o.Number),
		Order:        o,
		Summary:      orderSummary(o),
		PaymentName:  o.PaymentMethod,
		ShippingName: methodName(opts, o.ShippingMethod),
		Placed:       o.Status == checkout.StatusPendingPayment || o.Status == checkout.StatusPaid,
	}
	data.Summary.ShippingName = data.ShippingName
	for _, p := range opts.Payment {
		if p.Code == o.PaymentMethod {
			data.PaymentName = p.Name
		}
	}
	h.renderPrivate(w, r, http.StatusOK, "order", data)
}
