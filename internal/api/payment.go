package api

import (
	"errors"
	"io"
	"net/http"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/stripepay"
)

// maxWebhookBody bounds a Stripe webhook body: events are a few KiB; Stripe
// documents no limit, so this is generous.
const maxWebhookBody = 512 << 10

type paymentJSONOut struct {
	OrderNumber string `json:"order_number"`
	OrderStatus string `json:"order_status"`
	Provider    string `json:"provider"` // "stripe"
	IntentID    string `json:"intent_id"`
	// ClientSecret confirms the intent with Stripe.js (stripe.confirmPayment)
	// or Stripe's mobile SDKs; only the order's owner gets it.
	ClientSecret   string `json:"client_secret"`
	IntentStatus   string `json:"intent_status"`
	PublishableKey string `json:"publishable_key"`
}

// startPayment serves POST /api/v1/orders/{number}/payment: the order's
// PaymentIntent, created the first time. Repeating it (after a timeout or a
// 503) returns the same intent: the idempotency key is the order's.
func (h *Handler) startPayment(w http.ResponseWriter, r *http.Request) {
	h.payment(w, r, func(o *checkout.Order) (*checkout.Order, checkout.Payment, error) {
		p, err := h.Checkout.StartPayment(r.Context(), o)
		return o, p, err
	})
}

// getPayment serves GET /api/v1/orders/{number}/payment: how the payment
// stands, asked of Stripe now (after requires_action, or when a webhook is
// late), and the order's status after applying what Stripe said.
func (h *Handler) getPayment(w http.ResponseWriter, r *http.Request) {
	h.payment(w, r, func(o *checkout.Order) (*checkout.Order, checkout.Payment, error) {
		return h.Checkout.SyncPayment(r.Context(), o)
	})
}

func (h *Handler) payment(w http.ResponseWriter, r *http.Request, do func(*checkout.Order) (*checkout.Order, checkout.Payment, error)) {
	o, err := h.ownOrder(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, p, err := do(o)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, paymentJSONOut{OrderNumber: o.Number, OrderStatus: string(o.Status), Provider: "stripe",
		IntentID: p.Ref, ClientSecret: p.ClientSecret, IntentStatus: p.Status, PublishableKey: h.Stripe.PublishableKey()})
}

// stripeWebhook serves POST /api/v1/payments/stripe/webhook. Any instance
// may take any delivery: the event is applied once, in the database. 400
// for a bad signature (Stripe shows it in its dashboard); 2xx for an event
// applied, a duplicate or one the store ignores; 5xx (Stripe retries for
// days) when the database failed.
func (h *Handler) stripeWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		h.fail(w, r, fault.New(fault.TooLarge, "The webhook body is too large."))
		return
	}
	ev, ok, err := h.Stripe.Event(body, r.Header.Get("Stripe-Signature"))
	switch {
	case errors.Is(err, stripepay.ErrBadSignature), errors.Is(err, stripepay.ErrNoWebhookSecret):
		h.log().Warn("stripe webhook refused", "err", err)
		h.fail(w, r, fault.New(fault.Invalid, "The Stripe-Signature does not verify."))
		return
	case err != nil:
		h.fail(w, r, fault.New(fault.Invalid, "The event could not be read."))
		return
	case !ok:
		writePrivate(w, http.StatusOK, map[string]bool{"received": true})
		return
	}
	applied, err := h.Checkout.ApplyPayment(r.Context(), ev)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, map[string]bool{"received": true, "applied": applied})
}
