package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"agora/internal/mail"
	"agora/internal/money"
)

// PaymentEventKind is what a gateway's event says happened to a payment.
type PaymentEventKind string

const (
	PaymentSucceeded PaymentEventKind = "succeeded" // the money arrived: the order is paid
	PaymentFailed    PaymentEventKind = "failed"    // an attempt failed: the order stays payable
	PaymentRefunded  PaymentEventKind = "refunded"  // AmountCents is the total refunded so far
	PaymentDisputed  PaymentEventKind = "disputed"  // the shopper's bank disputes the charge
)

// PaymentEvent is one event of a gateway (a Stripe webhook, or a check of
// the payment by SyncPayment), already authenticated by the gateway.
type PaymentEvent struct {
	Provider string // the payment method's code, "card"
	// ID is unique per event at the provider ("evt_…"): ApplyPayment
	// applies an ID once, however often it is delivered.
	ID   string
	Kind PaymentEventKind
	Ref  string // the payment's id ("pi_…")
	// OrderNumber is the order the gateway's metadata names; it finds the
	// order when its payment id was never saved (see paymentOrder).
	OrderNumber string
	// AmountCents: for PaymentSucceeded the amount received; for
	// PaymentRefunded the cumulative amount refunded (so refunds that
	// arrive out of order leave the larger, later total).
	AmountCents int64
	Note        string // the failure message or dispute reason, for staff
}

const maxEventID = 255

// ApplyPayment applies ev to its order exactly once: the event id is
// recorded in the transaction that changes the order, so a duplicate
// (sequential or concurrent) finds it and changes nothing; applied is then
// false. Events may arrive in any order: a refund before the success marks
// the order paid first, and the success that follows finds nothing to do.
// An event for a payment of no order is recorded and acknowledged, so the
// provider stops resending it.
func (s *Service) ApplyPayment(ctx context.Context, ev PaymentEvent) (applied bool, err error) {
	if ev.ID == "" || len(ev.ID) > maxEventID || ev.Ref == "" {
		return false, fmt.Errorf("checkout: payment event without id or payment: %q", ev.ID)
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_events (provider, event_id, kind, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (provider, event_id) DO NOTHING`, ev.Provider, ev.ID, string(ev.Kind), now)
		if err != nil {
			return fmt.Errorf("checkout: record payment event: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return err // a duplicate: applied before, or being applied now
		}
		applied = true
		r, err := s.paymentOrder(ctx, tx, ev)
		if errors.Is(err, errUnknownPayment) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_events SET order_id = $1 WHERE provider = $2 AND event_id = $3`,
			r.id, ev.Provider, ev.ID); err != nil {
			return fmt.Errorf("checkout: record payment event: %w", err)
		}
		return s.applyPaymentTx(ctx, tx, r, ev, now)
	})
	return applied, err
}

// applyPaymentTx changes order r as ev says, inside ApplyPayment's
// transaction; every change is recorded as an order event.
func (s *Service) applyPaymentTx(ctx context.Context, tx *sql.Tx, r paymentRow, ev PaymentEvent, now time.Time) error {
	switch ev.Kind {
	case PaymentSucceeded:
		if r.status == StatusCancelled {
			// Cancelled for want of payment while the shopper paid:
			// staff must refund (the stock went back already).
			return addEvent(ctx, tx, r.id, r.status, r.status, "Card payment "+ev.Ref+" succeeded after the order was cancelled: refund it.", now)
		}
		_, err := s.markPaid(ctx, tx, &r, ev, now)
		return err
	case PaymentFailed:
		if r.status != StatusPendingPayment {
			return nil
		}
		return addEvent(ctx, tx, r.id, r.status, r.status, limitNote("Card payment failed; the order can still be paid. "+ev.Note), now)
	case PaymentRefunded:
		return s.applyRefund(ctx, tx, r, ev, now)
	case PaymentDisputed:
		return addEvent(ctx, tx, r.id, r.status, r.status, limitNote("The card payment is disputed: "+ev.Note), now)
	}
	return fmt.Errorf("checkout: unknown payment event kind %q", ev.Kind)
}

// markPaid moves r from pending_payment to paid, once, and queues the
// payment e-mail; any other status is left as it is.
func (s *Service) markPaid(ctx context.Context, tx *sql.Tx, r *paymentRow, ev PaymentEvent, now time.Time) (bool, error) {
	if r.status != StatusPendingPayment {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
		string(StatusPaid), now, r.id, string(StatusPendingPayment))
	if err != nil {
		return false, fmt.Errorf("checkout: mark paid: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return false, err
	}
	r.status = StatusPaid
	if err := addEvent(ctx, tx, r.id, StatusPendingPayment, StatusPaid, "Card payment "+ev.Ref+" received.", now); err != nil {
		return false, err
	}
	var number, email, currency string
	if err := tx.QueryRowContext(ctx, `SELECT number, email, currency FROM orders WHERE id = $1`, r.id).
		Scan(&number, &email, &currency); err != nil {
		return false, fmt.Errorf("checkout: paid order: %w", err)
	}
	if err := mail.Enqueue(ctx, tx, s.paidMail(number, email, money.Format(r.total, currency)), now); err != nil {
		return false, fmt.Errorf("checkout: payment mail: %w", err)
	}
	return true, nil
}

// applyRefund records the provider's cumulative refund of r. A refund of
// the whole total refunds the order (and restocks it, once); less is a
// partial refund: the status stays and refunded_cents says how much. A
// refund that arrives before the success implies the payment happened.
func (s *Service) applyRefund(ctx context.Context, tx *sql.Tx, r paymentRow, ev PaymentEvent, now time.Time) error {
	if r.status == StatusPendingPayment {
		if _, err := s.markPaid(ctx, tx, &r, ev, now); err != nil {
			return err
		}
	}
	if ev.AmountCents <= r.refunded {
		return nil // an older refund event than one applied already
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_cents = $1, updated_at = $2 WHERE id = $3`,
		ev.AmountCents, now, r.id); err != nil {
		return fmt.Errorf("checkout: record refund: %w", err)
	}
	if ev.AmountCents < r.total || (r.status != StatusPaid && r.status != StatusFulfilled) {
		return addEvent(ctx, tx, r.id, r.status, r.status, fmt.Sprintf("Card payment refunded in part: %d of %d (minor units).", ev.AmountCents, r.total), now)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1 WHERE id = $2`, string(StatusRefunded), r.id); err != nil {
		return fmt.Errorf("checkout: refund order: %w", err)
	}
	if err := s.restockOnce(ctx, tx, r.id, now); err != nil {
		return err
	}
	return addEvent(ctx, tx, r.id, r.status, StatusRefunded, "Card payment "+ev.Ref+" refunded in full.", now)
}

// PartiallyRefunded reports whether some but not all of o's payment was
// refunded: its own state, shown to staff and shopper, while the status
// stays paid or fulfilled.
func (o *Order) PartiallyRefunded() bool {
	return o.RefundedCents > 0 && o.RefundedCents < o.TotalCents
}

func limitNote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxNoteLen {
		s = s[:maxNoteLen]
	}
	return s
}

// paidMail tells the shopper the payment arrived.
func (s *Service) paidMail(number, email, total string) mail.Message {
	store := s.StoreName
	if store == "" {
		store = "Agora"
	}
	text := fmt.Sprintf("We received your card payment of %s for order %s. We will ship it soon.\n", total, number)
	if s.BaseURL != "" {
		text += fmt.Sprintf("\nYour order: %s/orders/%s\n", strings.TrimRight(s.BaseURL, "/"), number)
	}
	return mail.Message{To: email, Subject: fmt.Sprintf("Payment received for order %s at %s", number, strings.Join(strings.Fields(store), " ")), Text: text}
}
