package api_test

import (
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
	"agora/internal/stripepay"
	"agora/internal/stripepay/stripetest"
)

type refundOut struct {
	Refund struct {
		ID          int64  `json:"id"`
		AmountCents int64  `json:"amount_cents"`
		State       string `json:"state"`
		ProviderRef string `json:"provider_ref"`
	} `json:"refund"`
	Order struct {
		Status        string `json:"status"`
		RefundedCents int64  `json:"refunded_cents"`
		Lines         []struct {
			LineNo           int `json:"line_no"`
			ReturnedQuantity int `json:"returned_quantity"`
		} `json:"lines"`
	} `json:"order"`
}

// paidCardOrder is a card order the shopper paid (the stand-in's intent
// succeeded, the order read it).
func (s *cardShop) paidCardOrder(t *testing.T) (number, intent string, total int64) {
	t.Helper()
	c := s.shopper()
	number = c.placeCardOrder(t)
	_, p := c.payment(t, "POST", number)
	s.stripe.SetStatus(p.IntentID, "succeeded")
	if _, st := c.payment(t, "GET", number); st.OrderStatus != "paid" {
		t.Fatalf("order %s after the payment: %s", number, st.OrderStatus)
	}
	_, total = s.orderStatus(t, number)
	return number, p.IntentID, total
}

func (s *cardShop) refund(t *testing.T, number string, body any, hdr ...string) (response, refundOut) {
	t.Helper()
	hdr = append(hdr, "Authorization", "Bearer "+s.ownerKey)
	r := s.shopper().call(t, "POST", "/api/v1/admin/orders/"+number+"/refunds", body, hdr...)
	var out refundOut
	if r.status == 200 {
		r.decode(t, &out)
	}
	return r, out
}

// TestCardRefundOverAdminAPI: staff refund a card order through the admin
// API, by line and then by amount, against stripe-mock behind the stand-in.
// Stripe failing leaves the refund pending (503) and the same key finishes
// it with one refund at Stripe; a replay returns it; more than is left is
// refused before Stripe is asked; Stripe's own refusal fails the refund.
func TestCardRefundOverAdminAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		noRetries := int64(0) // the stand-in's 500 must reach the app
		s := newCardShop(t, db, stripepay.Config{MaxRetries: &noRetries})
		n, _, total := s.paidCardOrder(t)

		byLine := map[string]any{"lines": []map[string]int{{"line_no": 1, "quantity": 1}}, "note": "returned"}
		s.stripe.Fail(stripetest.Error500)
		r, _ := s.refund(t, n, byLine, "Idempotency-Key", "return-1")
		expect(t, "refund while Stripe fails", r, 503)
		list := s.shopper().call(t, "GET", "/api/v1/admin/orders/"+n+"/refunds", nil, "Authorization", "Bearer "+s.ownerKey)
		expect(t, "list refunds", list, 200)
		var items struct {
			Items []struct{ State string } `json:"items"`
		}
		list.decode(t, &items)
		if len(items.Items) != 1 || items.Items[0].State != "pending" {
			t.Fatalf("refunds after Stripe failed: %+v, want one pending", items.Items)
		}

		r, first := s.refund(t, n, byLine, "Idempotency-Key", "return-1")
		expect(t, "the same refund again", r, 200)
		if first.Refund.State != "succeeded" || first.Refund.ProviderRef == "" || first.Order.Lines[0].ReturnedQuantity != 1 {
			t.Fatalf("after the retry: %+v", first)
		}
		if first.Order.Status != "paid" || first.Order.RefundedCents != first.Refund.AmountCents || first.Refund.AmountCents >= total {
			t.Errorf("after the line's refund: %s, refunded %d of %d (refund %d); want paid, in part", first.Order.Status,
				first.Order.RefundedCents, total, first.Refund.AmountCents)
		}
		r, replay := s.refund(t, n, byLine, "Idempotency-Key", "return-1")
		expect(t, "a replay", r, 200)
		if refunds, cents := s.stripe.Refunded(); replay.Refund.ID != first.Refund.ID || refunds != 1 || cents != first.Refund.AmountCents {
			t.Errorf("after a replay: refund %d (first %d); Stripe made %d refunds of %d", replay.Refund.ID, first.Refund.ID, refunds, cents)
		}

		left := total - first.Refund.AmountCents
		r, _ = s.refund(t, n, map[string]any{"key": "too-much", "amount_cents": left + 1})
		expect(t, "more than is left", r, 400)
		r, rest := s.refund(t, n, map[string]any{"key": "shipping", "amount_cents": left})
		expect(t, "the rest", r, 200)
		if rest.Order.Status != "refunded" || rest.Order.RefundedCents != total {
			t.Errorf("after refunding the rest: %s, refunded %d of %d", rest.Order.Status, rest.Order.RefundedCents, total)
		}
		if refunds, cents := s.stripe.Refunded(); refunds != 2 || cents != total {
			t.Errorf("Stripe made %d refunds of %d, want 2 of %d", refunds, cents, total)
		}
		r, _ = s.refund(t, n, map[string]any{"amount_cents": 100})
		expect(t, "no key", r, 400)

		// Stripe refuses: the order reads paid here (a webhook said so)
		// but the intent has no successful charge at Stripe.
		c := s.shopper()
		m := c.placeCardOrder(t)
		_, p := c.payment(t, "POST", m)
		_, mTotal := s.orderStatus(t, m)
		expect(t, "payment webhook", s.deliver(t, succeeded("evt_paid_"+m, p.IntentID, m, mTotal), testWebhookSecret, time.Now()), 200)
		r, _ = s.refund(t, m, map[string]any{"key": "refused", "amount_cents": 100})
		expect(t, "a refund Stripe refuses", r, 409)
		if st, _ := s.orderStatus(t, m); st != "paid" {
			t.Errorf("after a refused refund the order is %s, want paid", st)
		}
		if refunds, _ := s.stripe.Refunded(); refunds != 2 {
			t.Errorf("Stripe made %d refunds in all, want 2", refunds)
		}
	})
}
