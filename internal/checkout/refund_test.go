package checkout_test

import (
	"context"
	"sync"
	"testing"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// manualOrder places a paid bank-transfer order of 2 units of a and 1 of b
// (each from stock 5): lines 1 and 2.
func manualOrder(t *testing.T, f *fixture) (*checkout.Order, variant, variant) {
	t.Helper()
	a := f.product(t, 1000, 5)[0]
	b := f.product(t, 3000, 5)[0]
	o := f.guest(t)
	f.fill(t, o, 2, a)
	f.fill(t, o, 1, b)
	placed, _, err := f.svc.Place(context.Background(), request(o, newKey()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(context.Background(), placed.Number, checkout.StatusPaid, ""); err != nil {
		t.Fatal(err)
	}
	return f.order(t, placed.Number), a, b
}

func refund(t *testing.T, f *fixture, number string, req checkout.RefundRequest) (*checkout.Refund, *checkout.Order) {
	t.Helper()
	rf, o, err := f.svc.Refund(context.Background(), number, req)
	if err != nil {
		t.Fatalf("refund %+v: %v", req, err)
	}
	return rf, o
}

func lineNo(o *checkout.Order, v variant) int {
	for _, l := range o.Lines {
		if l.VariantID == v.ID {
			return l.No
		}
	}
	return 0
}

// TestRefundByLineRestocksOnlyThoseUnits: a partial refund of one unit
// of one line puts that unit back and nothing else, keeps the order paid
// with its own refunded amount, and is made once however often it is
// sent; refunding the rest marks the order refunded and puts back the
// other units, each unit once in all.
func TestRefundByLineRestocksOnlyThoseUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		o, a, b := manualOrder(t, f)
		if f.stock(t, a.ID) != 3 || f.stock(t, b.ID) != 4 {
			t.Fatalf("after the sale: stock %d and %d, want 3 and 4", f.stock(t, a.ID), f.stock(t, b.ID))
		}
		req := checkout.RefundRequest{Key: "return-1", Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 1}}, Note: "one came back"}
		rf, got := refund(t, f, o.Number, req)
		share := o.LinesShare(req.Lines)
		if rf.State != checkout.RefundSucceeded || rf.AmountCents != share || share <= 0 {
			t.Fatalf("refund %+v, want succeeded for the unit's share %d", rf, share)
		}
		if got.Status != checkout.StatusPaid || got.RefundedCents != share || !got.PartiallyRefunded() {
			t.Errorf("order after a partial refund: %s, refunded %d; want paid, %d", got.Status, got.RefundedCents, share)
		}
		if f.stock(t, a.ID) != 4 || f.stock(t, b.ID) != 4 {
			t.Errorf("stock %d and %d after giving back one unit of a, want 4 and 4", f.stock(t, a.ID), f.stock(t, b.ID))
		}
		// The same request again (a double submit): the same refund.
		again, got := refund(t, f, o.Number, req)
		if again.ID != rf.ID || got.RefundedCents != share || f.stock(t, a.ID) != 4 {
			t.Errorf("a repeated request made refund %d (first %d), refunded %d, stock %d", again.ID, rf.ID, got.RefundedCents, f.stock(t, a.ID))
		}
		if got.Lines[lineNo(o, a)-1].ReturnedQuantity != 1 {
			t.Errorf("line of a shows %d returned, want 1", got.Lines[lineNo(o, a)-1].ReturnedQuantity)
		}
		// A line cannot give back more units than are left of it.
		_, _, err := f.svc.Refund(context.Background(), o.Number, checkout.RefundRequest{Key: "too-many",
			Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 2}}})
		if fault.FieldOf(err) != "lines" {
			t.Errorf("giving back 2 of the 1 unit left: %v, want a lines error", err)
		}
		// Everything else: the rest of a, all of b, and the shipping.
		_, got = refund(t, f, o.Number, checkout.RefundRequest{Key: "the-rest", AmountCents: o.TotalCents - share,
			Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 1}, {LineNo: lineNo(o, b), Quantity: 1}}})
		if got.Status != checkout.StatusRefunded || got.RefundedCents != o.TotalCents {
			t.Errorf("after refunding the rest: %s, refunded %d of %d", got.Status, got.RefundedCents, o.TotalCents)
		}
		if f.stock(t, a.ID) != 5 || f.stock(t, b.ID) != 5 {
			t.Errorf("stock %d and %d after refunding everything, want 5 and 5: each unit back once", f.stock(t, a.ID), f.stock(t, b.ID))
		}
		if _, _, err := f.svc.Refund(context.Background(), o.Number, checkout.RefundRequest{Key: "more", AmountCents: 1}); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("refunding a refunded order: %v, want a conflict", err)
		}
	})
}

// TestCancelAfterPartialRefund: cancelling an order some of whose units
// a refund gave back puts back only the others.
func TestCancelAfterPartialRefund(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		o, a, b := manualOrder(t, f)
		refund(t, f, o.Number, checkout.RefundRequest{Key: "k", Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 1}}})
		if _, err := f.svc.SetStatus(context.Background(), o.Number, checkout.StatusCancelled, ""); err != nil {
			t.Fatal(err)
		}
		if f.stock(t, a.ID) != 5 || f.stock(t, b.ID) != 5 {
			t.Errorf("stock %d and %d after a partial refund and a cancel, want 5 and 5", f.stock(t, a.ID), f.stock(t, b.ID))
		}
	})
}

// TestRefundRefusals: what cannot be refunded says why and records
// nothing.
func TestRefundRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		o, a, _ := manualOrder(t, f)
		ctx := context.Background()
		one := []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 1}}
		tests := []struct {
			name  string
			req   checkout.RefundRequest
			field string
			code  fault.Code
		}{
			{"no key", checkout.RefundRequest{Lines: one}, "key", fault.Invalid},
			{"nothing", checkout.RefundRequest{Key: "x"}, "amount", fault.Invalid},
			{"too much", checkout.RefundRequest{Key: "x", AmountCents: o.TotalCents + 1}, "amount", fault.Invalid},
			{"negative", checkout.RefundRequest{Key: "x", AmountCents: -5}, "amount", fault.Invalid},
			{"no such line", checkout.RefundRequest{Key: "x", Lines: []checkout.RefundLine{{LineNo: 9, Quantity: 1}}}, "lines", fault.Invalid},
			{"line twice", checkout.RefundRequest{Key: "x", Lines: append(one, one...)}, "lines", fault.Invalid},
			{"more units than sold", checkout.RefundRequest{Key: "x", Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 3}}}, "lines", fault.Invalid},
		}
		for _, tt := range tests {
			_, _, err := f.svc.Refund(ctx, o.Number, tt.req)
			if fault.CodeOf(err) != tt.code || fault.FieldOf(err) != tt.field {
				t.Errorf("%s: %v (field %q), want %s on %q", tt.name, err, fault.FieldOf(err), tt.code, tt.field)
			}
		}
		if n := f.count(t, `SELECT COUNT(*) FROM refunds`); n != 0 {
			t.Errorf("%d refunds recorded by refused requests", n)
		}
		// The same key for another refund.
		refund(t, f, o.Number, checkout.RefundRequest{Key: "k", Lines: one})
		if _, _, err := f.svc.Refund(ctx, o.Number, checkout.RefundRequest{Key: "k", AmountCents: 100}); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("a key reused for another refund: %v, want a conflict", err)
		}
		// An order not paid yet.
		unpaid := f.guest(t)
		f.fill(t, unpaid, 1, a)
		p, _, err := f.svc.Place(ctx, request(unpaid, newKey()))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Refund(ctx, p.Number, checkout.RefundRequest{Key: "k", AmountCents: 100}); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("refunding an unpaid order: %v, want a conflict", err)
		}
	})
}

// TestCardRefundThroughTheGateway: a card refund is asked of the gateway
// under the refund's key. When it does not answer the refund stays
// pending and the same request finishes it, one refund at the gateway; the
// webhook that tells of it changes nothing more; a refusal fails it and
// gives nothing back.
func TestCardRefundThroughTheGateway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		g := &cardGateway{}
		o, v := cardOrder(t, f, g)
		ctx := context.Background()
		p, err := f.svc.StartPayment(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		g.succeed(p.Ref)
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_paid", Kind: checkout.PaymentSucceeded, Ref: p.Ref, AmountCents: o.TotalCents})
		if _, err := f.svc.SetStatus(ctx, o.Number, checkout.StatusRefunded, ""); fault.CodeOf(err) != fault.Conflict {
			t.Errorf("setting a card order refunded without a refund: %v, want a conflict pointing to refunds", err)
		}

		req := checkout.RefundRequest{Key: "staff-1", Lines: []checkout.RefundLine{{LineNo: 1, Quantity: 1}}}
		g.refundFail = fault.New(fault.Unavailable, "no answer")
		rf, _, err := f.svc.Refund(ctx, o.Number, req)
		if fault.CodeOf(err) != fault.Unavailable || rf == nil || rf.State != checkout.RefundPending {
			t.Fatalf("gateway down: refund %+v, err %v; want it pending and Unavailable", rf, err)
		}
		if got := f.order(t, o.Number); got.RefundedCents != 0 || f.stock(t, v.ID) != 3 {
			t.Errorf("a pending refund changed the order: refunded %d, stock %d", got.RefundedCents, f.stock(t, v.ID))
		}
		// Another refund cannot take what the pending one holds.
		if _, _, err := f.svc.Refund(ctx, o.Number, checkout.RefundRequest{Key: "staff-2", AmountCents: o.TotalCents}); fault.FieldOf(err) != "amount" {
			t.Errorf("refunding the whole total while part is pending: %v, want an amount error", err)
		}
		done, got := refund(t, f, o.Number, req)
		if done.ID != rf.ID || done.State != checkout.RefundSucceeded || done.ProviderRef == "" {
			t.Fatalf("the repeated request: %+v, want refund %d succeeded with the gateway's id", done, rf.ID)
		}
		if n, sum := g.refunded(); n != 1 || sum != done.AmountCents {
			t.Errorf("the gateway made %d refunds of %d, want 1 of %d", n, sum, done.AmountCents)
		}
		if got.RefundedCents != done.AmountCents || f.stock(t, v.ID) != 4 {
			t.Errorf("after the refund: refunded %d, stock %d; want %d, 4", got.RefundedCents, f.stock(t, v.ID), done.AmountCents)
		}
		// Stripe's charge.refunded tells of the same refund: nothing more.
		apply(t, f, checkout.PaymentEvent{Provider: "card", ID: "evt_refunded", Kind: checkout.PaymentRefunded, Ref: p.Ref, AmountCents: done.AmountCents})
		if got := f.order(t, o.Number); got.RefundedCents != done.AmountCents || got.Status != checkout.StatusPaid || f.stock(t, v.ID) != 4 {
			t.Errorf("after the webhook of the same refund: %s, refunded %d, stock %d", got.Status, got.RefundedCents, f.stock(t, v.ID))
		}
		// The gateway refuses: failed, nothing given back, units not back.
		g.refundFail = fault.New(fault.Conflict, "The card payment service refused the refund: card expired")
		bad, _, err := f.svc.Refund(ctx, o.Number, checkout.RefundRequest{Key: "staff-3", Lines: []checkout.RefundLine{{LineNo: 1, Quantity: 1}}})
		if fault.CodeOf(err) != fault.Conflict || bad == nil || bad.State != checkout.RefundFailed {
			t.Fatalf("a refused refund: %+v, %v; want failed and a conflict", bad, err)
		}
		if got := f.order(t, o.Number); got.RefundedCents != done.AmountCents || f.stock(t, v.ID) != 4 || got.Lines[0].ReturnedQuantity != 1 {
			t.Errorf("a refused refund changed the order: refunded %d, stock %d, returned %d", got.RefundedCents, f.stock(t, v.ID), got.Lines[0].ReturnedQuantity)
		}
		// The rest, by amount: the order is refunded, the last unit back.
		_, got = refund(t, f, o.Number, checkout.RefundRequest{Key: "staff-4", AmountCents: o.TotalCents - done.AmountCents})
		if got.Status != checkout.StatusRefunded || f.stock(t, v.ID) != 5 {
			t.Errorf("after refunding the rest: %s, stock %d; want refunded, 5", got.Status, f.stock(t, v.ID))
		}
		if n, sum := g.refunded(); n != 2 || sum != o.TotalCents {
			t.Errorf("the gateway made %d refunds of %d in all, want 2 of %d", n, sum, o.TotalCents)
		}
	})
}

// TestRefundConcurrentRepeats: twenty copies of one request at once (a
// staff member's retries, several app instances) make one refund.
func TestRefundConcurrentRepeats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		o, a, _ := manualOrder(t, f)
		req := checkout.RefundRequest{Key: "once", Lines: []checkout.RefundLine{{LineNo: lineNo(o, a), Quantity: 1}}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[int64]bool{}
		var errs []error
		start := make(chan struct{})
		for range 20 {
			wg.Go(func() {
				<-start
				rf, _, err := f.svc.Refund(context.Background(), o.Number, req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				ids[rf.ID] = true
			})
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 || len(ids) != 1 {
			t.Fatalf("20 copies: refunds %v, errors %v; want one refund, no error", ids, errs)
		}
		if f.stock(t, a.ID) != 4 {
			t.Errorf("stock %d, want 4: one unit back once", f.stock(t, a.ID))
		}
	})
}
