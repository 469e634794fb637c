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
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM orders WHERE number = $1`, n).Scan(&id, &from)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoOrder
		}
		if err != nil {
			return fmt.Errorf("checkout: order %s: %w", n, err)
		}
		if !slices.Contains(transitions[from], to) {
			return fault.New(fault.Conflict, "An order that is %s cannot become %s.", label(from), label(to))
		}
		// Conditional on the status read above: of two concurrent moves
		// the second waits for the first's row lock, then matches nothing.
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
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
	rows, err := tx.QueryContext(ctx, `SELECT variant_id, sku, product_name, quantity FROM order_lines
		WHERE order_id = $1 AND variant_id IS NOT NULL ORDER BY variant_id`, orderID)
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
