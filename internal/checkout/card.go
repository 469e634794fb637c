package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"agora/internal/fault"
	"agora/internal/store"
)

// Gateway is a Provider whose payment happens at a third party after the
// order is placed: card payments (issue 14). Start keeps the order
// pending_payment inside the order transaction; StartPayment then asks the
// gateway, after commit, for a payment bound to the order under an
// idempotency key derived from the order (PaymentKey), so every retry — a
// timeout, a 500, an app killed between the call and the save — gets the
// same payment back, never a second charge.
type Gateway interface {
	Provider
	// CreatePayment creates the payment of o's total, or returns the one
	// created before under key.
	CreatePayment(ctx context.Context, o *Order, key string) (Payment, error)
	// Payment reads the payment with the provider's id.
	Payment(ctx context.Context, ref string) (Payment, error)
	// CancelPayment cancels an unpaid payment, so it can no longer be
	// paid; an error if it succeeded meanwhile.
	CancelPayment(ctx context.Context, ref string) error
	// Refund gives back amountCents of the succeeded payment ref, once
	// per key, and returns the provider's refund id. An error that is
	// not a fault.Unavailable is a refusal: nothing was given back.
	Refund(ctx context.Context, ref string, amountCents int64, key string) (string, error)
}

// Payment is a gateway's payment as the shopper's browser and the order
// page need it.
type Payment struct {
	Ref string // the provider's id ("pi_…")
	// ClientSecret lets the shopper's browser confirm this one payment
	// (Stripe.js). It is handed to the order's owner only, never logged.
	ClientSecret string
	// Status is the provider's own word ("requires_payment_method",
	// "requires_action", "processing", "succeeded", "canceled").
	Status      string
	Succeeded   bool
	AmountCents int64
}

// PaymentKey is the idempotency key of o's payment at the gateway: one per
// order, so the gateway creates at most one payment for it.
func PaymentKey(o *Order) string { return "order-" + strconv.FormatInt(o.ID, 10) + "-pi" }

// gateway returns the Gateway of a payment method, if it has one.
func (s *Service) gateway(method string) (Gateway, bool) {
	p, ok := s.provider(method)
	if !ok {
		return nil, false
	}
	g, ok := p.(Gateway)
	return g, ok
}

// StartPayment returns o's payment at its gateway, creating it the first
// time (see Gateway) and saving its id on the order. o must be awaiting
// payment by a gateway's method. A gateway failure is a fault the shopper
// may retry: the retry cannot charge twice.
func (s *Service) StartPayment(ctx context.Context, o *Order) (Payment, error) {
	g, ok := s.gateway(o.PaymentMethod)
	if !ok {
		return Payment{}, fault.New(fault.Conflict, "This order is not paid by card.")
	}
	if o.Status != StatusPendingPayment {
		return Payment{}, fault.New(fault.Conflict, "This order is %s: there is nothing to pay.", label(o.Status))
	}
	if o.PaymentRef != "" {
		return g.Payment(ctx, o.PaymentRef)
	}
	p, err := g.CreatePayment(ctx, o, PaymentKey(o))
	if err != nil {
		return Payment{}, err
	}
	// Conditional: a concurrent start saved the same id (same key) first.
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET payment_ref = $1, updated_at = $2 WHERE id = $3 AND payment_ref IS NULL`,
			p.Ref, s.now(), o.ID)
		return err
	})
	if err != nil {
		return Payment{}, fmt.Errorf("checkout: save payment of order %s: %w", o.Number, err)
	}
	o.PaymentRef = p.Ref
	return p, nil
}

// SyncPayment asks o's gateway how its payment stands and applies a
// success the webhook has not brought (yet): the page the shopper returns
// to after Strong Customer Authentication, and reconciliation of orders
// whose webhooks never arrived. It returns the order as it is afterwards.
func (s *Service) SyncPayment(ctx context.Context, o *Order) (*Order, Payment, error) {
	g, ok := s.gateway(o.PaymentMethod)
	if !ok || o.PaymentRef == "" {
		return o, Payment{}, nil
	}
	p, err := g.Payment(ctx, o.PaymentRef)
	if err != nil {
		return o, Payment{}, err
	}
	if p.Succeeded && o.Status == StatusPendingPayment {
		// A synthetic event id: the check itself is applied once, and
		// the webhook's own event later finds the order paid already.
		ev := PaymentEvent{Provider: g.Method().Code, ID: "sync:" + p.Ref + ":succeeded", Kind: PaymentSucceeded,
			Ref: p.Ref, OrderNumber: o.Number, AmountCents: p.AmountCents}
		if _, err := s.ApplyPayment(ctx, ev); err != nil {
			return o, p, err
		}
		if o, err = s.Order(ctx, o.Number); err != nil {
			return nil, p, err
		}
	}
	return o, p, nil
}

// lockOrderRow is appended to a SELECT of an order row that a payment
// event will change: on PostgreSQL two events of one order (a success and
// a refund delivered at once) then apply one after the other. SQLite's
// single writer serializes them by itself.
func (s *Service) lockOrderRow() string {
	if s.DB.Dialect == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

var errUnknownPayment = errors.New("checkout: payment of no order")

// paymentOrder finds the order of ev inside tx: by its payment id, else by
// the order number the gateway carries in its metadata, for an order whose
// save of the id was lost (the app died between creating the payment and
// saving it); that order then gets the id.
func (s *Service) paymentOrder(ctx context.Context, tx *sql.Tx, ev PaymentEvent) (paymentRow, error) {
	var r paymentRow
	q := `SELECT id, status, total_cents, refunded_cents, COALESCE(payment_ref, '') FROM orders WHERE `
	err := tx.QueryRowContext(ctx, q+`payment_ref = $1`+s.lockOrderRow(), ev.Ref).
		Scan(&r.id, &r.status, &r.total, &r.refunded, &r.ref)
	if errors.Is(err, sql.ErrNoRows) && ev.OrderNumber != "" {
		n, _ := normalizeNumber(ev.OrderNumber)
		err = tx.QueryRowContext(ctx, q+`number = $1`+s.lockOrderRow(), n).
			Scan(&r.id, &r.status, &r.total, &r.refunded, &r.ref)
		if err == nil && r.ref != "" && r.ref != ev.Ref {
			return r, errUnknownPayment // the order has another payment
		}
		if err == nil && r.ref == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET payment_ref = $1 WHERE id = $2`, ev.Ref, r.id); err != nil {
				return r, fmt.Errorf("checkout: save payment: %w", err)
			}
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return r, errUnknownPayment
	}
	if err != nil {
		return r, fmt.Errorf("checkout: order of payment %s: %w", ev.Ref, err)
	}
	return r, nil
}

type paymentRow struct {
	id              int64
	status          Status
	total, refunded int64
	ref             string
}
