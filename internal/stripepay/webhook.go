package stripepay

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"agora/internal/checkout"
)

// ErrBadSignature: a webhook whose Stripe-Signature does not verify with
// the webhook secret, or whose signed timestamp is outside the tolerance
// (a replay). The handler answers 400 and changes nothing.
var ErrBadSignature = errors.New("stripepay: webhook signature does not verify")

// ErrNoWebhookSecret: webhooks are not configured.
var ErrNoWebhookSecret = errors.New("stripepay: no webhook secret configured")

// Event authenticates one webhook delivery and returns what it means for
// an order. ok is false for an event type the store does not act on (the
// handler acknowledges it all the same, so Stripe stops resending).
func (s *Stripe) Event(payload []byte, signature string) (ev checkout.PaymentEvent, ok bool, err error) {
	if s.cfg.WebhookSecret == "" {
		return ev, false, ErrNoWebhookSecret
	}
	opts := webhook.ConstructEventOptions{Tolerance: s.cfg.Tolerance,
		// An endpoint created with another API version still carries the
		// fields read below, which have been stable for years.
		IgnoreAPIVersionMismatch: true}
	e, err := webhook.ConstructEventWithOptions(payload, signature, s.cfg.WebhookSecret, opts)
	if err != nil {
		return ev, false, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	ev = checkout.PaymentEvent{Provider: s.Method().Code, ID: e.ID}
	switch e.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(e.Data.Raw, &pi); err != nil {
			return ev, false, fmt.Errorf("stripepay: event %s: %w", e.ID, err)
		}
		ev.Ref, ev.OrderNumber, ev.AmountCents = pi.ID, pi.Metadata["order_number"], pi.AmountReceived
		ev.Kind = checkout.PaymentSucceeded
		if e.Type == "payment_intent.payment_failed" {
			ev.Kind = checkout.PaymentFailed
			if pi.LastPaymentError != nil {
				ev.Note = pi.LastPaymentError.Msg
			}
		}
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(e.Data.Raw, &ch); err != nil {
			return ev, false, fmt.Errorf("stripepay: event %s: %w", e.ID, err)
		}
		if ch.PaymentIntent == nil {
			return ev, false, nil // a charge not made through an intent: not ours
		}
		ev.Kind, ev.Ref, ev.OrderNumber, ev.AmountCents = checkout.PaymentRefunded, ch.PaymentIntent.ID, ch.Metadata["order_number"], ch.AmountRefunded
	case "charge.dispute.created", "charge.dispute.closed":
		var d stripe.Dispute
		if err := json.Unmarshal(e.Data.Raw, &d); err != nil {
			return ev, false, fmt.Errorf("stripepay: event %s: %w", e.ID, err)
		}
		if d.PaymentIntent == nil {
			return ev, false, nil
		}
		ev.Kind, ev.Ref = checkout.PaymentDisputed, d.PaymentIntent.ID
		ev.Note = fmt.Sprintf("%s (%s, status %s)", e.Type, d.Reason, d.Status)
	default:
		return ev, false, nil
	}
	if ev.Ref == "" {
		return ev, false, nil
	}
	return ev, true, nil
}
