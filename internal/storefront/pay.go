package storefront

import (
	"net/http"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/page"
)

// StripeCSP is the Content-Security-Policy of the card payment page, the
// one page that loads Stripe.js (issue 14): Stripe's script, its frames
// (the Payment Element, 3-D Secure challenges through hooks.stripe.com) and
// its API, as Stripe documents them, on top of the same-origin policy every
// other page keeps (app.applyDefaults leaves a policy a handler set).
const StripeCSP = "default-src 'self'; img-src 'self' data: https://*.stripe.com; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"script-src 'self' https://js.stripe.com; " +
	"frame-src https://js.stripe.com https://hooks.stripe.com; " +
	"connect-src 'self' https://api.stripe.com"

type payPage struct {
	layout
	Order          *checkout.Order
	Summary        summary
	Payment        checkout.Payment
	PublishableKey string
	ReturnURL      string
	Message        string // why the last attempt did not pay, or what failed
}

// payPage serves GET /checkout/pay/{number}: the card form (Stripe's
// Payment Element) for an order awaiting a card payment. It is also the
// return_url after Strong Customer Authentication: the intent is asked of
// Stripe first, so a paid order goes to its order page at once, whether
// or not the webhook came before the shopper.
func (h *Handler) payPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, ok := h.ownOrder(w, r)
	if !ok {
		return
	}
	var err error
	data := payPage{layout: h.shopLayout(r, "Pay for order "+o.Number), PublishableKey: h.Stripe.PublishableKey(),
		ReturnURL: h.absolute(r, "/checkout/pay/"+o.Number)}
	if o.PaymentRef != "" {
		if o, _, err = h.Checkout.SyncPayment(ctx, o); err != nil && fault.CodeOf(err) != fault.Unavailable {
			h.ServerError(w, r, err)
			return
		}
	}
	if o.Status != checkout.StatusPendingPayment {
		page.SeeOther(w, r, "/orders/"+o.Number)
		return
	}
	data.Order, data.Summary = o, orderSummary(o)
	status := http.StatusOK
	if data.Payment, err = h.Checkout.StartPayment(ctx, o); err != nil {
		if fault.CodeOf(err) == fault.Internal {
			h.ServerError(w, r, err)
			return
		}
		h.log().Warn("storefront: card payment unavailable", "order", o.Number, "err", err)
		data.Message, status = fault.MessageOf(err), page.Status(err)
	} else if r.URL.Query().Get("redirect_status") == "failed" || data.Payment.Status == "requires_payment_method" && r.URL.Query().Has("payment_intent") {
		data.Message = "The payment did not go through. Please try again, or use another card."
	}
	w.Header().Set("Content-Security-Policy", StripeCSP)
	h.renderPrivate(w, r, status, "pay", data)
}
