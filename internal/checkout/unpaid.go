package checkout

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"agora/internal/fault"
)

// Sweep looks after orders awaiting payment (issue 14), from one instance
// at a time (a lease in job_leases):
//   - reconciliation: a card order whose payment the webhook has not
//     reported within ReconcileAfter is asked of the gateway, so no paid
//     order stays pending because a webhook was lost;
//   - expiry: an order not paid within its method's timeout (CancelAfter)
//     has its payment cancelled at the gateway, then is cancelled and its
//     stock returned, exactly once (SetStatus's restock rule). A payment
//     that succeeded meanwhile wins: the order is marked paid instead.
type Sweep struct {
	Checkout *Service
	// CancelAfter is how long an unpaid order of each payment method
	// ("card") may wait. A method not listed waits forever: manual bank
	// transfers take days and staff cancel them by hand.
	CancelAfter map[string]time.Duration
	// ReconcileAfter is how long a card payment may go unreported before
	// the gateway is asked. If zero, 10 minutes.
	ReconcileAfter time.Duration
	// Holder names this instance in the lease. If "", a random name.
	Holder string
	// Every is the pause between passes in Run. If zero, a minute.
	Every time.Duration
	Log   *slog.Logger // if nil, slog.Default()
}

const (
	sweepLease = "unpaid-orders"
	sweepBatch = 100
)

// Run sweeps every Every until ctx ends; failures are logged and retried.
func (w *Sweep) Run(ctx context.Context) error {
	every := w.Every
	if every <= 0 {
		every = time.Minute
	}
	if w.Holder == "" {
		w.Holder = newNumber()
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, _, err := w.Pass(ctx); err != nil && ctx.Err() == nil {
			w.log().Warn("checkout: unpaid-order sweep failed", "err", err)
		}
		t.Reset(every)
	}
}

// Pass makes one sweep if this instance holds (or takes) the lease, and
// says how many orders it found paid and how many it cancelled.
func (w *Sweep) Pass(ctx context.Context) (paid, cancelled int, err error) {
	s := w.Checkout
	every := w.Every
	if every <= 0 {
		every = time.Minute
	}
	ok, err := s.lease(ctx, sweepLease, w.Holder, 2*every)
	if err != nil || !ok {
		return 0, 0, err
	}
	reconcile := w.ReconcileAfter
	if reconcile <= 0 {
		reconcile = 10 * time.Minute
	}
	now := s.now()
	rows, err := s.DB.Query(ctx, `SELECT number, payment_method, created_at FROM orders
		WHERE status = $1 AND payment_ref IS NOT NULL AND created_at <= $2 ORDER BY created_at LIMIT $3`,
		string(StatusPendingPayment), now.Add(-reconcile), sweepBatch)
	if err != nil {
		return 0, 0, fmt.Errorf("checkout: unpaid orders: %w", err)
	}
	type pending struct {
		number, method string
		created        time.Time
	}
	var todo []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.number, &p.method, &p.created); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("checkout: unpaid orders: %w", err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	// Orders of a method with a timeout that never got as far as a payment.
	for method, after := range w.CancelAfter {
		more, err := w.unstarted(ctx, method, now.Add(-after))
		if err != nil {
			return 0, 0, err
		}
		for _, n := range more {
			todo = append(todo, pending{number: n, method: method, created: now.Add(-after)})
		}
	}
	for _, p := range todo {
		o, err := s.Order(ctx, p.number)
		if err != nil {
			return paid, cancelled, err
		}
		if o.PaymentRef != "" {
			if o, _, err = s.SyncPayment(ctx, o); err != nil {
				w.log().Warn("checkout: reconcile payment", "order", p.number, "err", err)
				continue
			}
			if o.Status != StatusPendingPayment {
				paid++
				continue
			}
		}
		after, ok := w.CancelAfter[p.method]
		if !ok || after <= 0 || p.created.After(now.Add(-after)) {
			continue
		}
		if done, err := w.expire(ctx, o, after); err != nil {
			w.log().Warn("checkout: cancel unpaid order", "order", p.number, "err", err)
		} else if done {
			cancelled++
		}
	}
	return paid, cancelled, nil
}

// unstarted lists unpaid orders of method older than before without a
// payment at the gateway.
func (w *Sweep) unstarted(ctx context.Context, method string, before time.Time) ([]string, error) {
	rows, err := w.Checkout.DB.Query(ctx, `SELECT number FROM orders WHERE status = $1 AND payment_method = $2
		AND payment_ref IS NULL AND created_at <= $3 ORDER BY created_at LIMIT $4`,
		string(StatusPendingPayment), method, before, sweepBatch)
	if err != nil {
		return nil, fmt.Errorf("checkout: unpaid orders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("checkout: unpaid orders: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// expire cancels o's payment at its gateway, then the order. A payment the
// gateway will not cancel (it succeeded meanwhile) is synced instead.
func (w *Sweep) expire(ctx context.Context, o *Order, after time.Duration) (bool, error) {
	s := w.Checkout
	if g, ok := s.gateway(o.PaymentMethod); ok && o.PaymentRef != "" {
		if err := g.CancelPayment(ctx, o.PaymentRef); err != nil {
			if _, _, serr := s.SyncPayment(ctx, o); serr != nil {
				return false, serr
			}
			return false, err
		}
	}
	_, err := s.SetStatus(ctx, o.Number, StatusCancelled, fmt.Sprintf("Not paid within %s: cancelled, stock returned.", after))
	if fault.CodeOf(err) == fault.Conflict {
		return false, nil // paid (or changed) meanwhile
	}
	return err == nil, err
}

// lease claims the job name for holder until now+d, if it is free, lapsed
// or already holder's.
func (s *Service) lease(ctx context.Context, name, holder string, d time.Duration) (bool, error) {
	now := s.now()
	var ok bool
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_leases (name, holder, leased_until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, leased_until = excluded.leased_until
			WHERE job_leases.leased_until <= $4 OR job_leases.holder = excluded.holder`, name, holder, now.Add(d), now)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		ok = k == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("checkout: lease %s: %w", name, err)
	}
	return ok, nil
}

func (w *Sweep) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
