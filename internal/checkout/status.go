package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/purge"
)

// transitions is the order workflow: where each status may go next.
var transitions = map[Status][]Status{
	StatusPendingPayment: {StatusPaid, StatusCancelled},
	StatusPaid:           {StatusFulfilled, StatusRefunded, StatusCancelled},
	StatusFulfilled:      {StatusRefunded},
}

// Next returns the statuses an order in from may move to, in the order
// staff are offered them; none for a final status. It is the workflow
// SetStatus enforces, so a form built from it offers only moves that work.
func Next(from Status) []Status { return slices.Clone(transitions[from]) }

// PutsStockBack reports whether moving an order to to returns its goods to
// stock (once: SetStatus restocks an order at most one time).
func PutsStockBack(to Status) bool { return to == StatusCancelled || to == StatusRefunded }

const maxNoteLen = 1000

var errNoOrder = fault.New(fault.NotFound, "There is no such order.")

// SetStatus moves an order along the workflow and records the event.
// Cancelling or refunding puts the stock back exactly once (orders.restocked
// is claimed with a conditional update) and purges products whose
// availability class changed. A move the workflow does not allow, or one
// that lost a race with another, is a fault.Conflict.
func (s *Service) SetStatus(ctx context.Context, number string, to Status, note string) (*Order, error) {
	if _, ok := transitions[to]; !ok && !PutsStockBack(to) {
		return nil, fault.Field("status", "%q is not an order status.", to)
	}
	if len(note) > maxNoteLen || !utf8.ValidString(note) {
		return nil, fault.Field("note", "A note is at most %d characters of text.", maxNoteLen)
	}
	n, ok := normalizeNumber(number)
	if !ok {
		return nil, errNoOrder
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var from Status
		var method, ref string
		err := tx.QueryRowContext(ctx, `SELECT id, status, payment_method, COALESCE(payment_ref, '') FROM orders WHERE number = $1`, n).
			Scan(&id, &from, &method, &ref)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoOrder
		}
		if err != nil {
			return fmt.Errorf("checkout: order %s: %w", n, err)
		}
		if !slices.Contains(transitions[from], to) {
			return fault.New(fault.Conflict, "An order that is %s cannot become %s.", label(from), label(to))
		}
		if _, card := s.gateway(method); card && ref != "" && to == StatusRefunded {
			// Setting the status would give nothing back at the gateway.
			return fault.New(fault.Conflict, "A card payment is given back by a refund, which returns the money through the card payment service: use Refund on the order's page, or POST /api/v1/admin/orders/%s/refunds.", n)
		}
		// Conditional on the status read above: of two concurrent moves
		// the second waits for the first's row lock, then matches nothing.
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2,
			refunded_cents = CASE WHEN $1 = 'refunded' THEN total_cents ELSE refunded_cents END
			WHERE id = $3 AND status = $4`,
			string(to), now, id, string(from))
		if err != nil {
			return fmt.Errorf("checkout: set status: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return fault.New(fault.Conflict, "The order was changed meanwhile; reload it and try again.")
		}
		if PutsStockBack(to) {
			if err := s.restockOnce(ctx, tx, id, now); err != nil {
				return err
			}
		}
		return addEvent(ctx, tx, id, from, to, note, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Order(ctx, n)
}

// restockOnce returns an order's units to stock unless that happened before.
func (s *Service) restockOnce(ctx context.Context, tx *sql.Tx, orderID int64, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET restocked = TRUE WHERE id = $1 AND restocked = FALSE`, orderID)
	if err != nil {
		return fmt.Errorf("checkout: restock: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("checkout: restock: %w", err)
	} else if k == 0 {
		return nil // put back before (cancelled after a refund, or a race)
	}
	// Units a refund gave back are in stock already (restockLines).
	rows, err := tx.QueryContext(ctx, `SELECT variant_id, sku, product_name, quantity - restocked_quantity FROM order_lines
		WHERE order_id = $1 AND variant_id IS NOT NULL AND quantity > restocked_quantity ORDER BY variant_id`, orderID)
	if err != nil {
		return fmt.Errorf("checkout: restock: %w", err)
	}
	var moves []stockMove
	for rows.Next() {
		var m stockMove
		if err := rows.Scan(&m.VariantID, &m.SKU, &m.Name, &m.Qty); err != nil {
			rows.Close()
			return fmt.Errorf("checkout: restock: %w", err)
		}
		moves = append(moves, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("checkout: restock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET restocked_quantity = quantity WHERE order_id = $1`, orderID); err != nil {
		return fmt.Errorf("checkout: restock: %w", err)
	}
	tags, err := restock(ctx, tx, moves)
	if err != nil {
		return err
	}
	return purge.Append(ctx, tx, s.DB.Dialect, tags, stockPurgeSoft, now)
}

// label is a status as staff read it.
func label(st Status) string {
	switch st {
	case StatusPendingPayment:
		return "awaiting payment"
	default:
		return string(st)
	}
}
