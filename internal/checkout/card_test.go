package checkout_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// cardGateway stands in for Stripe, a paid third-party API, in checkout's
// own tests: it keeps one payment per idempotency key, as Stripe does, and
// counts the payments it created (each one a possible charge). The real
// client is tested against stripe-mock in internal/stripepay.
type cardGateway struct {
	mu      sync.Mutex // protects the fields below
	byKey   map[string]checkout.Payment
	created int
	fail    error // if set, CreatePayment fails with it (Stripe down)
	// refunds are the refunds made, by key; refundFail, if set, fails the
	// next Refund with it and is cleared.
	refunds    map[string]refundMade
	refundFail error
}

type refundMade struct {
	ref    string // the payment refunded
	amount int64
	id     string
}

var _ checkout.Gateway = (*cardGateway)(nil)

func (g *cardGateway) Method() checkout.PaymentMethod {
	return checkout.PaymentMethod{Code: "card", Name: "Card"}
}

func (g *cardGateway) Start(context.Context, *checkout.Order) (checkout.Status, error) {
	return checkout.StatusPendingPayment, nil
}

func (g *cardGateway) CreatePayment(_ context.Context, o *checkout.Order, key string) (checkout.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return checkout.Payment{}, g.fail
	}
	if p, ok := g.byKey[key]; ok {
		return p, nil
	}
	g.created++
	p := checkout.Payment{Ref: fmt.Sprintf("pi_test_%d", g.created), ClientSecret: fmt.Sprintf("pi_test_%d_secret_x", g.created),
		Status: "requires_payment_method", AmountCents: o.TotalCents}
	if g.byKey == nil {
		g.byKey = map[string]checkout.Payment{}
	}
	g.byKey[key] = p
	return p, nil
}

func (g *cardGateway) Payment(_ context.Context, ref string) (checkout.Payment, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.byKey {
		if p.Ref == ref {
			return p, nil
		}
	}
	return checkout.Payment{}, fault.New(fault.NotFound, "no such payment")
}

func (g *cardGateway) CancelPayment(_ context.Context, ref string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, p := range g.byKey {
		if p.Ref == ref {
			if p.Succeeded {
				return fault.New(fault.Conflict, "already succeeded")
			}
			p.Status = "canceled"
			g.byKey[k] = p
		}
	}
	return nil
}

// Refund refunds amount of ref once per key, and refuses more than was
// paid and not refunded, as Stripe does.
func (g *cardGateway) Refund(_ context.Context, ref string, amount int64, key string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.refundFail; err != nil {
		g.refundFail = nil
		return "", err
	}
	if r, ok := g.refunds[key]; ok {
		return r.id, nil
	}
	var paid, refunded int64
	for _, p := range g.byKey {
		if p.Ref == ref && p.Succeeded {
			paid = p.AmountCents
		}
	}
	for _, r := range g.refunds {
		if r.ref == ref {
			refunded += r.amount
		}
	}
	if amount > paid-refunded {
		return "", fault.New(fault.Conflict, "The card payment service refused the refund: amount too large")
	}
	if g.refunds == nil {
		g.refunds = map[string]refundMade{}
	}
	r := refundMade{ref: ref, amount: amount, id: fmt.Sprintf("re_test_%d", len(g.refunds)+1)}
	g.refunds[key] = r
	return r.id, nil
}

// refunded is how many refunds were made and their sum.
func (g *cardGateway) refunded() (n int, sum int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.refunds {
		n++
		sum += r.amount
	}
	return n, sum
}

// succeed marks ref paid at the "provider".
func (g *cardGateway) succeed(ref string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, p := range g.byKey {
		if p.Ref == ref {
			p.Status, p.Succeeded = "succeeded", true
			g.byKey[k] = p
		}
	}
}

// cardOrder places a card order of 2 units of a fresh variant (stock 5).
func cardOrder(t *testing.T, f *fixture, g *cardGateway) (*checkout.Order, variant) {
	t.Helper()
	f.svc.Providers = []checkout.Provider{checkout.Manual{}, g}
	v := f.product(t, 1500, 5)[0]
	o := f.guest(t)
	f.fill(t, o, 2, v)
	r := request(o, newKey())
	r.PaymentMethod = "card"
	placed, _, err := f.svc.Place(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if placed.Status != checkout.StatusPendingPayment {
		t.Fatalf("a card order starts %s, want pending_payment", placed.Status)
	}
	return placed, v
}

func (f *fixture) order(t *testing.T, number string) *checkout.Order {
	t.Helper()
	o, err := f.svc.Order(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) paymentMails(t *testing.T, number string) int {
	return f.count(t, `SELECT COUNT(*) FROM email_outbox WHERE subject LIKE $1`, "Payment received for order "+number+"%")
}

func apply(t *testing.T, f *fixture, ev checkout.PaymentEvent) bool {
	t.Helper()
	applied, err := f.svc.ApplyPayment(context.Background(), ev)
	if err != nil {
		t.Fatalf("apply %s: %v", ev.ID, err)
	}
	return applied
}

// TestCardWebhookDuplicatedConcurrentlyAppliesOnce: Stripe delivers one
// payment_intent.succeeded twenty times at once (it retries on timeouts and
// may deliver to several app instances): the order is paid once, one
// "payment received" e-mail, one status event.
func TestCardWebhookDuplicatedConcurrentlyAppliesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, _ := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		ev := checkout.PaymentEvent{Provider: "card", ID: "evt_dup", Kind: checkout.PaymentSucceeded, Ref: p.Ref, AmountCents: o.TotalCents}
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied, errs := 0, []error{}
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				ok, err := f.svc.ApplyPayment(context.Background(), ev)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if ok {
					applied++
				}
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 || applied != 1 {
			t.Fatalf("20 deliveries: applied %d times, errors %v; want once, none", applied, errs)
		}
		if got := f.order(t, o.Number).Status; got != checkout.StatusPaid {
			t.Errorf("status %s, want paid", got)
		}
		if n := f.paymentMails(t, o.Number); n != 1 {
			t.Errorf("%d payment e-mails, want 1", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND to_status = 'paid'`, o.ID); n != 1 {
			t.Errorf("%d paid events, want 1", n)
		}
	})
}

// TestCardRefundBeforeSucceeded: Stripe does not promise the order of
// events; a full refund arriving before the success must leave the order
// refunded with its stock back once, whatever comes after.
func TestCardRefundBeforeSucceeded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, v := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_refund", Kind: checkout.PaymentRefunded, Ref: p.Ref, AmountCents: o.TotalCents})
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_paid", Kind: checkout.PaymentSucceeded, Ref: p.Ref, AmountCents: o.TotalCents})
		got := f.order(t, o.Number)
		if got.Status != checkout.StatusRefunded || got.RefundedCents != o.TotalCents || !got.Restocked {
			t.Fatalf("after refund then success: status %s, refunded %d, restocked %v; want refunded, %d, true",
				got.Status, got.RefundedCents, got.Restocked, o.TotalCents)
		}
		if s := f.stock(t, v.ID); s != 5 {
			t.Errorf("stock %d after the refund, want 5 (back once)", s)
		}
	})
}

// TestCardPartialRefunds: charge.refunded carries the cumulative amount
// refunded; a partial refund keeps the goods sold (status paid, no
// restock) and shows as partially refunded; an older event arriving late
// changes nothing; the refund of the rest refunds the order.
func TestCardPartialRefunds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, v := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_paid", Kind: checkout.PaymentSucceeded, Ref: p.Ref, AmountCents: o.TotalCents})
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_r2", Kind: checkout.PaymentRefunded, Ref: p.Ref, AmountCents: 800})
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_r1", Kind: checkout.PaymentRefunded, Ref: p.Ref, AmountCents: 500}) // late
		got := f.order(t, o.Number)
		if got.Status != checkout.StatusPaid || got.RefundedCents != 800 || !got.PartiallyRefunded() || got.Restocked {
			t.Fatalf("after partial refunds: status %s, refunded %d, partial %v, restocked %v; want paid, 800, true, false",
				got.Status, got.RefundedCents, got.PartiallyRefunded(), got.Restocked)
		}
		if s := f.stock(t, v.ID); s != 3 {
			t.Errorf("stock %d after a partial refund, want 3 (nothing returned)", s)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_r3", Kind: checkout.PaymentRefunded, Ref: p.Ref, AmountCents: o.TotalCents})
		got = f.order(t, o.Number)
		if got.Status != checkout.StatusRefunded || got.PartiallyRefunded() || f.stock(t, v.ID) != 5 {
			t.Errorf("after the full refund: status %s, partial %v, stock %d; want refunded, false, 5", got.Status, got.PartiallyRefunded(), f.stock(t, v.ID))
		}
	})
}

// TestCardPaymentFailedStaysPayable: a declined card leaves the order
// awaiting payment with the reason for staff; a later success pays it.
func TestCardPaymentFailedStaysPayable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, _ := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_fail", Kind: checkout.PaymentFailed, Ref: p.Ref, Note: "Your card was declined."})
		if got := f.order(t, o.Number); got.Status != checkout.StatusPendingPayment {
			t.Fatalf("after a failed payment: %s, want pending_payment", got.Status)
		}
		again, err := f.svc.StartPayment(context.Background(), f.order(t, o.Number))
		if err != nil || again.Ref != p.Ref {
			t.Fatalf("paying again: %+v, %v; want the same intent %s", again, err, p.Ref)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_ok", Kind: checkout.PaymentSucceeded, Ref: p.Ref})
		if got := f.order(t, o.Number); got.Status != checkout.StatusPaid {
			t.Errorf("after the retry succeeded: %s, want paid", got.Status)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND note LIKE '%declined%'`, o.ID); n != 1 {
			t.Errorf("%d events name the decline, want 1", n)
		}
	})
}

// TestCardCrashBetweenCreateAndSave: the app dies after Stripe created the
// intent and before the order saved its id. The webhook that arrives
// first finds the order by the number in the intent's metadata; a retry
// of the payment page gets the same intent (same idempotency key): one
// payment at the provider, never a second charge.
func TestCardCrashBetweenCreateAndSave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, _ := cardOrder(t, f, g)
		// The call StartPayment makes, without its save: the crash.
		lost, err := g.CreatePayment(context.Background(), o, checkout.PaymentKey(o))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.order(t, o.Number).PaymentRef; got != "" {
			t.Fatalf("payment ref %q saved, want none (the crash)", got)
		}
		p, err := f.svc.StartPayment(context.Background(), f.order(t, o.Number))
		if err != nil || p.Ref != lost.Ref || g.created != 1 {
			t.Fatalf("retry: %s, %v, %d created; want %s, nil, 1", p.Ref, err, g.created, lost.Ref)
		}

		// And the webhook before any save: found by order number.
		o2, _ := cardOrder(t, f, g)
		lost2, err := g.CreatePayment(context.Background(), o2, checkout.PaymentKey(o2))
		if err != nil {
			t.Fatal(err)
		}
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_early", Kind: checkout.PaymentSucceeded, Ref: lost2.Ref, OrderNumber: o2.Number})
		got := f.order(t, o2.Number)
		if got.Status != checkout.StatusPaid || got.PaymentRef != lost2.Ref {
			t.Errorf("webhook before the save: %s with ref %q, want paid with %s", got.Status, got.PaymentRef, lost2.Ref)
		}
	})
}

// TestCardSyncBeforeWebhook: the shopper returns from 3-D Secure before the
// webhook; the return page asks the provider and the order is paid then;
// the webhook after it changes nothing and sends no second e-mail.
func TestCardSyncBeforeWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, _ := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		synced, _, err := f.svc.SyncPayment(context.Background(), f.order(t, o.Number))
		if err != nil || synced.Status != checkout.StatusPendingPayment {
			t.Fatalf("sync before paying: %v, %v; want pending_payment", synced.Status, err)
		}
		g.succeed(p.Ref)
		synced, _, err = f.svc.SyncPayment(context.Background(), f.order(t, o.Number))
		if err != nil || synced.Status != checkout.StatusPaid {
			t.Fatalf("sync after paying: %v, %v; want paid", synced.Status, err)
		}
		if apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_late", Kind: checkout.PaymentSucceeded, Ref: p.Ref}) != true {
			t.Error("the late webhook was not recorded")
		}
		if n := f.paymentMails(t, o.Number); n != 1 {
			t.Errorf("%d payment e-mails, want 1", n)
		}
	})
}

// TestCardProviderDown: Stripe failing leaves the order payable and says
// so; the retry works.
func TestCardProviderDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{fail: fault.New(fault.Unavailable, "The card payment service did not answer.")}
		o, _ := cardOrder(t, f, g)
		if _, err := f.svc.StartPayment(context.Background(), o); fault.CodeOf(err) != fault.Unavailable {
			t.Fatalf("provider down: %v, want unavailable", err)
		}
		g.mu.Lock()
		g.fail = nil
		g.mu.Unlock()
		if _, err := f.svc.StartPayment(context.Background(), f.order(t, o.Number)); err != nil || g.created != 1 {
			t.Fatalf("retry: %v, %d created; want nil, 1", err, g.created)
		}
	})
}

// TestUnpaidSweep: a card order nobody paid within its timeout is
// cancelled (its intent too) and its stock returned once; one paid at the
// provider whose webhook never came is found and marked paid instead; a
// manual order waits on; a second instance does nothing while the first
// holds the lease.
func TestUnpaidSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		unpaid, v := cardOrder(t, f, g)
		if _, err := f.svc.StartPayment(context.Background(), unpaid); err != nil {
			t.Fatal(err)
		}
		lost, _ := cardOrder(t, f, g)
		p, err := f.svc.StartPayment(context.Background(), lost)
		if err != nil {
			t.Fatal(err)
		}
		g.succeed(p.Ref) // paid; the webhook never arrives
		mv := f.product(t, 1000, 5)[0]
		mo := f.guest(t)
		f.fill(t, mo, 1, mv)
		manual, _, err := f.svc.Place(context.Background(), request(mo, newKey()))
		if err != nil {
			t.Fatal(err)
		}
		f.tick.Add(int64(2 * time.Hour / time.Millisecond)) // two hours later

		sweep := &checkout.Sweep{Checkout: f.svc, CancelAfter: map[string]time.Duration{"card": time.Hour}, Holder: "a"}
		other := &checkout.Sweep{Checkout: f.svc, CancelAfter: map[string]time.Duration{"card": time.Hour}, Holder: "b"}
		paid, cancelled, err := sweep.Pass(context.Background())
		if err != nil || paid != 1 || cancelled != 1 {
			t.Fatalf("sweep: %d paid, %d cancelled, %v; want 1, 1, nil", paid, cancelled, err)
		}
		if got := f.order(t, unpaid.Number); got.Status != checkout.StatusCancelled || f.stock(t, v.ID) != 3+2 {
			t.Errorf("unpaid order: %s, stock %d; want cancelled, 5", got.Status, f.stock(t, v.ID))
		}
		if got, _ := g.Payment(context.Background(), f.order(t, unpaid.Number).PaymentRef); got.Status != "canceled" {
			t.Errorf("its intent is %s, want canceled", got.Status)
		}
		if got := f.order(t, lost.Number); got.Status != checkout.StatusPaid {
			t.Errorf("order paid without webhook: %s, want paid", got.Status)
		}
		if got := f.order(t, manual.Number); got.Status != checkout.StatusPendingPayment {
			t.Errorf("manual order: %s, want still pending_payment", got.Status)
		}
		if paid, cancelled, err := other.Pass(context.Background()); paid+cancelled != 0 || err != nil {
			t.Errorf("second instance while the lease is held: %d, %d, %v; want nothing", paid, cancelled, err)
		}
		if _, cancelled, _ := sweep.Pass(context.Background()); cancelled != 0 || f.stock(t, v.ID) != 5 {
			t.Errorf("second pass: %d cancelled, stock %d; want 0, 5 (restocked once)", cancelled, f.stock(t, v.ID))
		}
	})
}
