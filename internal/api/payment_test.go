package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"agora/internal/checkout"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
	"agora/internal/stripepay"
	"agora/internal/stripepay/stripetest"
)

const testWebhookSecret = "whsec_test_agora"

// cardShop is the shop with card payments through the stripetest
// stand-in (stripe-mock behind a stateful, fault-injecting proxy).
type cardShop struct {
	*shop
	stripe   *stripetest.Server
	ownerKey string // an owner's API key, for the admin API
}

func newCardShop(t *testing.T, db *store.DB, cfg stripepay.Config) *cardShop {
	t.Helper()
	s := newShop(t, db)
	sm := stripetest.Start(t)
	cfg.SecretKey, cfg.PublishableKey, cfg.WebhookSecret, cfg.APIBase = "sk_test_agora", "pk_test_agora", testWebhookSecret, sm.URL
	g, err := stripepay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.h.Stripe = g
	s.h.Checkout.Providers = []checkout.Provider{checkout.Manual{}, g}
	s.h.Staff = &staff.Service{DB: db, Log: slog.New(slog.DiscardHandler)}
	owner, err := s.h.Staff.Create(t.Context(), "olga@example.com", "Olga Owner", staff.Owner, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.h.Staff.CreateAPIKey(t.Context(), owner.ID, "refunds")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.h.Register(mux)
	s.srv.Close()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return &cardShop{shop: s, stripe: sm, ownerKey: key}
}

type paymentOut struct {
	OrderNumber    string `json:"order_number"`
	OrderStatus    string `json:"order_status"`
	IntentID       string `json:"intent_id"`
	ClientSecret   string `json:"client_secret"`
	IntentStatus   string `json:"intent_status"`
	PublishableKey string `json:"publishable_key"`
}

// placeCardOrder checks out one BS-S by card as c.
func (c *shopper) placeCardOrder(t *testing.T) string {
	t.Helper()
	expect(t, "add to cart", c.add(t, c.s.v["BS-S"], 1), 200)
	body := checkoutBody("kim@example.com")
	body["payment_method"] = "card"
	r := c.checkout(t, fmt.Sprintf("card-%d", time.Now().UnixNano()), body)
	expect(t, "checkout by card", r, 201)
	var p placedOut
	r.decode(t, &p)
	if p.Status != "pending_payment" {
		t.Fatalf("a card order starts %s, want pending_payment", p.Status)
	}
	return p.OrderNumber
}

func (c *shopper) payment(t *testing.T, method, number string) (response, paymentOut) {
	t.Helper()
	r := c.call(t, method, "/api/v1/orders/"+number+"/payment", nil)
	var p paymentOut
	if r.status == 200 {
		r.decode(t, &p)
	}
	return r, p
}

// TestCardPaymentOverAPI: a headless client pays by card: the options list
// card, the order's intent is created once (asking again returns it), and
// after the shopper confirmed it (3-D Secure first) the order reads paid
// even with no webhook.
func TestCardPaymentOverAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newCardShop(t, db, stripepay.Config{})
		c := s.shopper()
		r := c.call(t, "GET", "/api/v1/checkout/options", nil)
		if !strings.Contains(string(r.body), `"code":"card"`) {
			t.Fatalf("options without card: %s", r.body)
		}
		s.stripe.CreateWith("requires_action") // a card that asks for 3-D Secure
		n := c.placeCardOrder(t)
		r, p := c.payment(t, "POST", n)
		expect(t, "start payment", r, 200)
		if p.ClientSecret == "" || p.PublishableKey != "pk_test_agora" || p.IntentStatus != "requires_action" {
			t.Fatalf("payment: %+v", p)
		}
		_, again := c.payment(t, "POST", n)
		if again.IntentID != p.IntentID || s.stripe.Created() != 1 {
			t.Fatalf("asked twice: intents %s and %s, %d created; want one", p.IntentID, again.IntentID, s.stripe.Created())
		}
		if _, st := c.payment(t, "GET", n); st.OrderStatus != "pending_payment" {
			t.Fatalf("before authentication: order %s, want pending_payment", st.OrderStatus)
		}
		s.stripe.SetStatus(p.IntentID, "succeeded") // Stripe.js after the challenge
		if _, st := c.payment(t, "GET", n); st.OrderStatus != "paid" || st.IntentStatus != "succeeded" {
			t.Fatalf("after authentication: %+v, want paid", st)
		}
		other := s.shopper()
		if r, _ := other.payment(t, "POST", n); r.status != 404 {
			t.Errorf("another visitor's payment call: %d, want 404", r.status)
		}
	})
}

// TestCardPaymentFaults: Stripe answering 500, timing out after it created
// the intent, or the connection dropping after it did (as when the app
// dies between Stripe's answer and its save): the shopper gets a clear
// 503 and the retry gets the same intent, so nothing is charged twice.
func TestCardPaymentFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault stripetest.Fault
		cfg   stripepay.Config
	}{
		{"500", stripetest.Error500, stripepay.Config{}},
		{"timeout after commit", stripetest.HangAfterCommit, stripepay.Config{Timeout: 3 * time.Second, MaxRetries: new(int64)}},
		{"dropped after commit", stripetest.DropAfterCommit, stripepay.Config{MaxRetries: new(int64)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				s := newCardShop(t, db, tc.cfg)
				c := s.shopper()
				n := c.placeCardOrder(t)
				s.stripe.Fail(tc.fault)
				r, _ := c.payment(t, "POST", n)
				expect(t, "payment while Stripe fails", r, 503)
				if e := c.errorOf(t, r); !strings.Contains(e.Error.Message, "not be charged twice") {
					t.Errorf("message %q does not reassure about a second charge", e.Error.Message)
				}
				r, p := c.payment(t, "POST", n)
				expect(t, "retry", r, 200)
				if s.stripe.Created() != 1 || p.ClientSecret == "" {
					t.Errorf("after the retry: %d intents created, secret %q; want 1 and a secret", s.stripe.Created(), p.ClientSecret)
				}
			})
		})
	}
	// With the library's own retries (the default), a dropped answer is
	// retried with the same key at once: the shopper sees no error.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newCardShop(t, db, stripepay.Config{})
		c := s.shopper()
		n := c.placeCardOrder(t)
		s.stripe.Fail(stripetest.DropAfterCommit)
		r, _ := c.payment(t, "POST", n)
		expect(t, "payment with a dropped answer", r, 200)
		if s.stripe.Created() != 1 {
			t.Errorf("%d intents created, want 1", s.stripe.Created())
		}
	})
}

// event is a Stripe event of type about an object, as JSON.
func event(id, typ string, object map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2025-07-30.basil",
		"created": time.Now().Unix(), "data": map[string]any{"object": object}})
	return b
}

func succeeded(id, pi, number string, amount int64) []byte {
	return event(id, "payment_intent.succeeded", map[string]any{"id": pi, "object": "payment_intent", "amount": amount,
		"amount_received": amount, "status": "succeeded", "metadata": map[string]string{"order_number": number}})
}

func refunded(id, pi string, amount int64) []byte {
	return event(id, "charge.refunded", map[string]any{"id": "ch_" + id, "object": "charge", "payment_intent": pi,
		"amount_refunded": amount, "refunded": true})
}

// deliver posts payload to the webhook signed with secret at ts.
func (s *cardShop) deliver(t *testing.T, payload []byte, secret string, ts time.Time) response {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts})
	req, err := http.NewRequest("POST", s.srv.URL+"/api/v1/payments/stripe/webhook", strings.NewReader(string(payload)))
	if err != nil {
		t.Error(err)
		return response{}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", sp.Header)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Error(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (s *cardShop) orderStatus(t *testing.T, number string) (string, int64) {
	t.Helper()
	o, err := s.h.Checkout.Order(t.Context(), number)
	if err != nil {
		t.Fatal(err)
	}
	return string(o.Status), o.TotalCents
}

// TestStripeWebhook: signed deliveries change orders; forged ones and
// replays outside the tolerance window do not; twenty concurrent copies
// of one event have one effect; a refund before the success leaves the
// order refunded.
func TestStripeWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newCardShop(t, db, stripepay.Config{})
		c := s.shopper()
		n := c.placeCardOrder(t)
		_, p := c.payment(t, "POST", n)
		_, total := s.orderStatus(t, n)
		now := time.Now()

		forged := s.deliver(t, succeeded("evt_forged", p.IntentID, n, total), "whsec_someone_else", now)
		old := s.deliver(t, succeeded("evt_old", p.IntentID, n, total), testWebhookSecret, now.Add(-10*time.Minute))
		if forged.status != 400 || old.status != 400 {
			t.Fatalf("forged: %d, replayed outside the tolerance: %d; want 400 both", forged.status, old.status)
		}
		if st, _ := s.orderStatus(t, n); st != "pending_payment" {
			t.Fatalf("after refused webhooks: %s, want pending_payment", st)
		}

		payload := succeeded("evt_ok", p.IntentID, n, total)
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied, bad := 0, 0
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				r := s.deliver(t, payload, testWebhookSecret, now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.status != 200:
					bad++
				case strings.Contains(string(r.body), `"applied":true`):
					applied++
				}
			})
		}
		close(start)
		wg.Wait()
		if bad != 0 || applied != 1 {
			t.Fatalf("20 concurrent deliveries: %d not 200, applied %d times; want 0 and 1", bad, applied)
		}
		if st, _ := s.orderStatus(t, n); st != "paid" {
			t.Fatalf("after the signed webhook: %s, want paid", st)
		}
		var mails int
		if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM email_outbox WHERE subject LIKE $1`, "Payment received for order "+n+"%").Scan(&mails); err != nil || mails != 1 {
			t.Errorf("payment e-mails: %d (%v), want 1", mails, err)
		}

		// Out of order, on a second order: the refund first.
		n2 := c.placeCardOrder(t)
		_, p2 := c.payment(t, "POST", n2)
		_, total2 := s.orderStatus(t, n2)
		expect(t, "refund first", s.deliver(t, refunded("evt_r", p2.IntentID, total2), testWebhookSecret, now), 200)
		expect(t, "success second", s.deliver(t, succeeded("evt_s", p2.IntentID, n2, total2), testWebhookSecret, now), 200)
		if st, _ := s.orderStatus(t, n2); st != "refunded" {
			t.Errorf("refund before success: %s, want refunded", st)
		}
		// An event type the store does not act on is acknowledged.
		expect(t, "other event", s.deliver(t, event("evt_x", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}), testWebhookSecret, now), 200)
	})
}
