package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/purge"
)

// Refunds (issue 14): staff give money back, all of it or part, by line
// or by amount. A refund is written, pending, before the provider is
// asked, under the idempotency key of the staff's request, so a double
// submit, a retry after a timeout or an app killed half-way finds the same
// refund and never makes a second; the gateway gets the refund's own key
// (refundKey) for the same reason at the provider. Units of the lines a
// refund returns go back to stock once each: order_lines.restocked_quantity
// counts them, and a later cancel or full refund puts back only the rest.

// RefundLine is units of one order line given back.
type RefundLine struct {
	LineNo   int
	Quantity int
}

// RefundRequest is what staff ask for.
type RefundRequest struct {
	// Key is the caller's idempotency key: a request repeated with it
	// gets the first one's refund back.
	Key   string
	Lines []RefundLine
	// AmountCents is how much to refund; 0 means the lines' share of what
	// was paid (LinesShare).
	AmountCents int64
	Note        string
}

// Refund is one refund of an order.
type Refund struct {
	ID          int64
	Key         string
	AmountCents int64
	Lines       []RefundLine
	State       string // RefundPending, RefundSucceeded or RefundFailed
	ProviderRef string // the provider's refund id ("re_…"); "" for manual payments
	Note        string
	CreatedAt   time.Time
}

// Refund states.
const (
	// RefundPending: recorded, the provider's answer not yet had (it did
	// not answer); repeating the request with the same key asks again.
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	// RefundFailed: the provider refused it; nothing was given back.
	RefundFailed = "failed"
)

const maxRefundKey = 100

// RefundableCents is how much of o can still be refunded: what was paid,
// less what was refunded or is being refunded.
func (o *Order) RefundableCents(pending int64) int64 {
	return max(0, o.TotalCents-o.RefundedCents-pending)
}

// LinesShare is what lines are worth of o's total: each unit's share of
// the goods' price after discount, with tax when it was added on top.
// Shipping is not part of it; staff add it as an amount.
func (o *Order) LinesShare(lines []RefundLine) int64 {
	if o.SubtotalCents <= 0 {
		return 0
	}
	goods := o.TotalCents - o.ShippingCents // after discount, with tax
	var sum int64
	for _, rl := range lines {
		for _, l := range o.Lines {
			if l.No == rl.LineNo && l.Quantity > 0 {
				sum += l.LineTotalCents * int64(rl.Quantity) / int64(l.Quantity)
			}
		}
	}
	return sum * goods / o.SubtotalCents
}

// refundKey is the idempotency key of refund id at the gateway.
func refundKey(id int64) string { return "refund-" + strconv.FormatInt(id, 10) }

// Refund gives back money of a paid order and returns the refund and the
// order after it. A repeated request (the same Key) returns the refund it
// made, asking the provider again while it is pending; the same key with
// another content is a fault.Conflict. When the provider does not answer,
// the refund stays pending and the error is fault.Unavailable: repeat the
// request. A refusal marks it failed and is a fault.Conflict.
func (s *Service) Refund(ctx context.Context, number string, req RefundRequest) (*Refund, *Order, error) {
	if err := checkRefundRequest(&req); err != nil {
		return nil, nil, err
	}
	o, err := s.Order(ctx, number)
	if err != nil {
		return nil, nil, err
	}
	g, byGateway := s.gateway(o.PaymentMethod)
	byGateway = byGateway && o.PaymentRef != ""
	var rf *Refund
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		rf, err = s.recordRefund(ctx, tx, o, req)
		if err != nil || rf.State != RefundPending {
			return err
		}
		if byGateway {
			return nil // the provider is asked after commit
		}
		// Paid outside the store (bank transfer, cash): the money goes
		// back the same way, and the refund is done once recorded.
		return s.completeRefund(ctx, tx, o.ID, rf, "")
	})
	if err != nil {
		return nil, nil, err
	}
	if byGateway && rf.State == RefundPending {
		ref, gerr := g.Refund(ctx, o.PaymentRef, rf.AmountCents, refundKey(rf.ID))
		switch {
		case gerr == nil:
			err = s.DB.InTx(ctx, func(tx *sql.Tx) error { return s.completeRefund(ctx, tx, o.ID, rf, ref) })
		case fault.CodeOf(gerr) == fault.Unavailable:
			return rf, o, gerr // pending: the same request asks again
		default:
			err = s.DB.InTx(ctx, func(tx *sql.Tx) error { return s.failRefund(ctx, tx, o.ID, rf, gerr) })
			if err == nil {
				err = gerr
			}
		}
		if err != nil {
			return rf, o, err
		}
	}
	if o, err = s.Order(ctx, number); err != nil {
		return rf, nil, err
	}
	return rf, o, nil
}

func checkRefundRequest(req *RefundRequest) error {
	req.Key = strings.TrimSpace(req.Key)
	switch {
	case req.Key == "":
		return fault.Field("key", "A refund needs an idempotency key: repeating a request with the same key returns its refund instead of making a second.")
	case len(req.Key) > maxRefundKey || !utf8.ValidString(req.Key):
		return fault.Field("key", "An idempotency key is at most %d characters of text.", maxRefundKey)
	case len(req.Note) > maxNoteLen || !utf8.ValidString(req.Note):
		return fault.Field("note", "A note is at most %d characters of text.", maxNoteLen)
	case req.AmountCents < 0:
		return fault.Field("amount", "The amount must not be negative.")
	}
	seen := map[int]bool{}
	// A new slice: the caller's is not ours to filter in place (a retry
	// may send the same request from several goroutines at once).
	kept := make([]RefundLine, 0, len(req.Lines))
	for _, l := range req.Lines {
		switch {
		case l.Quantity < 0:
			return fault.Field("lines", "A quantity to return must not be negative.")
		case l.Quantity == 0:
			continue // a line the form left at 0
		case seen[l.LineNo]:
			return fault.Field("lines", "Line %d is given twice.", l.LineNo)
		}
		seen[l.LineNo] = true
		kept = append(kept, l)
	}
	req.Lines = kept
	slices.SortFunc(req.Lines, func(a, b RefundLine) int { return a.LineNo - b.LineNo })
	if len(req.Lines) == 0 && req.AmountCents == 0 {
		return fault.Field("amount", "Choose the lines given back, an amount to refund, or both.")
	}
	return nil
}

// recordRefund finds the refund of req.Key or writes a pending one, in tx
// with the order's row locked. o is read before tx: its lines and totals
// never change once placed; what is refunded is read again here.
func (s *Service) recordRefund(ctx context.Context, tx *sql.Tx, o *Order, req RefundRequest) (*Refund, error) {
	var st Status
	var refunded int64
	if err := tx.QueryRowContext(ctx, `SELECT status, refunded_cents FROM orders WHERE id = $1`+s.lockOrderRow(), o.ID).
		Scan(&st, &refunded); err != nil {
		return nil, fmt.Errorf("checkout: refund of %s: %w", o.Number, err)
	}
	if rf, err := refundByKey(ctx, tx, o.ID, req.Key); err != nil || rf != nil {
		if rf != nil && (rf.Note != req.Note || !slices.Equal(rf.Lines, req.Lines) ||
			(req.AmountCents != 0 && req.AmountCents != rf.AmountCents)) {
			return nil, fault.New(fault.Conflict, "This idempotency key was used for another refund of this order; use a new key for a new refund.")
		}
		return rf, err
	}
	if st != StatusPaid && st != StatusFulfilled {
		return nil, fault.New(fault.Conflict, "An order that is %s cannot be refunded: only a paid or fulfilled one.", label(st))
	}
	var pending int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE order_id = $1 AND state = $2`,
		o.ID, RefundPending).Scan(&pending); err != nil {
		return nil, fmt.Errorf("checkout: refunds of %s: %w", o.Number, err)
	}
	returned, err := returnedUnits(ctx, tx, o.ID)
	if err != nil {
		return nil, err
	}
	for _, rl := range req.Lines {
		i := slices.IndexFunc(o.Lines, func(l Line) bool { return l.No == rl.LineNo })
		if i < 0 {
			return nil, fault.Field("lines", "Order %s has no line %d.", o.Number, rl.LineNo)
		}
		if left := o.Lines[i].Quantity - returned[rl.LineNo]; rl.Quantity > left {
			return nil, fault.Field("lines", "Line %d (%s): %d can be given back, not %d.", rl.LineNo, o.Lines[i].SKU, left, rl.Quantity)
		}
	}
	o.RefundedCents = refunded
	left := o.RefundableCents(pending)
	amount := req.AmountCents
	if amount == 0 {
		amount = min(o.LinesShare(req.Lines), left)
	}
	switch {
	case left == 0 && pending > 0:
		return nil, fault.New(fault.Conflict, "The rest of this order's payment is being refunded already; wait for that refund to finish.")
	case left == 0:
		return nil, fault.New(fault.Conflict, "This order's payment was refunded in full already.")
	case amount > left:
		return nil, fault.Field("amount", "At most %s can be refunded.", money.Format(left, o.Currency))
	case amount <= 0:
		return nil, fault.Field("amount", "Those lines are worth nothing of what was paid: give an amount.")
	}
	rf := &Refund{Key: req.Key, AmountCents: amount, Lines: req.Lines, State: RefundPending, Note: req.Note, CreatedAt: s.now()}
	if err := tx.QueryRowContext(ctx, `INSERT INTO refunds (order_id, idem_key, amount_cents, state, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.ID, rf.Key, rf.AmountCents, rf.State, rf.Note, rf.CreatedAt).Scan(&rf.ID); err != nil {
		return nil, fmt.Errorf("checkout: record refund of %s: %w", o.Number, err)
	}
	for _, l := range rf.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refund_lines (refund_id, line_no, quantity) VALUES ($1, $2, $3)`,
			rf.ID, l.LineNo, l.Quantity); err != nil {
			return nil, fmt.Errorf("checkout: record refund of %s: %w", o.Number, err)
		}
	}
	return rf, nil
}

// completeRefund marks rf succeeded (once: a second call finds it done),
// puts its lines' units back that are not back yet, raises the order's
// refunded amount, and refunds the order when nothing is left to refund.
func (s *Service) completeRefund(ctx context.Context, tx *sql.Tx, orderID int64, rf *Refund, ref string) error {
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE refunds SET state = $1, provider_ref = $2 WHERE id = $3 AND state = $4`,
		RefundSucceeded, ref, rf.ID, RefundPending)
	if err != nil {
		return fmt.Errorf("checkout: complete refund: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return err // done before: a repeated request met a finished one
	}
	rf.State, rf.ProviderRef = RefundSucceeded, ref
	if err := s.restockLines(ctx, tx, orderID, rf.Lines, now); err != nil {
		return err
	}
	var st Status
	var total, refunded, done int64
	if err := tx.QueryRowContext(ctx, `SELECT status, total_cents, refunded_cents,
		(SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE order_id = orders.id AND state = $2)
		FROM orders WHERE id = $1`, orderID, RefundSucceeded).Scan(&st, &total, &refunded, &done); err != nil {
		return fmt.Errorf("checkout: complete refund: %w", err)
	}
	// Both count the same refunds (a webhook may have told of this one
	// already): the larger is the truth.
	refunded = max(refunded, done)
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_cents = $1, updated_at = $2 WHERE id = $3`, refunded, now, orderID); err != nil {
		return fmt.Errorf("checkout: complete refund: %w", err)
	}
	note := refundNote(rf)
	if refunded < total || (st != StatusPaid && st != StatusFulfilled) {
		return addEvent(ctx, tx, orderID, st, st, limitNote(note), now)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = $1 WHERE id = $2`, string(StatusRefunded), orderID); err != nil {
		return fmt.Errorf("checkout: refund order: %w", err)
	}
	if err := s.restockOnce(ctx, tx, orderID, now); err != nil {
		return err
	}
	return addEvent(ctx, tx, orderID, st, StatusRefunded, limitNote(note+" Nothing is left to refund."), now)
}

// failRefund marks rf failed, with why, as an event of the order.
func (s *Service) failRefund(ctx context.Context, tx *sql.Tx, orderID int64, rf *Refund, why error) error {
	res, err := tx.ExecContext(ctx, `UPDATE refunds SET state = $1 WHERE id = $2 AND state = $3`, RefundFailed, rf.ID, RefundPending)
	if err != nil {
		return fmt.Errorf("checkout: fail refund: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return err
	}
	rf.State = RefundFailed
	var st Status
	if err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&st); err != nil {
		return fmt.Errorf("checkout: fail refund: %w", err)
	}
	return addEvent(ctx, tx, orderID, st, st, limitNote(fmt.Sprintf("Refund %d of %d (minor units) refused: %s", rf.ID, rf.AmountCents, fault.MessageOf(why))), s.now())
}

func refundNote(rf *Refund) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Refunded %d (minor units)", rf.AmountCents)
	if rf.ProviderRef != "" {
		fmt.Fprintf(&b, " as %s", rf.ProviderRef)
	}
	for i, l := range rf.Lines {
		if i == 0 {
			b.WriteString("; given back:")
		}
		fmt.Fprintf(&b, " line %d ×%d", l.LineNo, l.Quantity)
	}
	b.WriteString(".")
	if rf.Note != "" {
		b.WriteString(" " + rf.Note)
	}
	return b.String()
}

// restockLines puts back the units of lines not put back before, and
// counts them on their order lines; products whose availability class
// changed are purged.
func (s *Service) restockLines(ctx context.Context, tx *sql.Tx, orderID int64, lines []RefundLine, now time.Time) error {
	var moves []stockMove
	for _, l := range lines {
		var m stockMove
		var qty, back int
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(variant_id, 0), sku, product_name, quantity, restocked_quantity
			FROM order_lines WHERE order_id = $1 AND line_no = $2`, orderID, l.LineNo).Scan(&m.VariantID, &m.SKU, &m.Name, &qty, &back)
		if err != nil {
			return fmt.Errorf("checkout: restock line %d: %w", l.LineNo, err)
		}
		m.Qty = min(l.Quantity, qty-back)
		if m.Qty <= 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET restocked_quantity = restocked_quantity + $1
			WHERE order_id = $2 AND line_no = $3`, m.Qty, orderID, l.LineNo); err != nil {
			return fmt.Errorf("checkout: restock line %d: %w", l.LineNo, err)
		}
		if m.VariantID != 0 {
			moves = append(moves, m)
		}
	}
	slices.SortFunc(moves, func(a, b stockMove) int { return int(a.VariantID - b.VariantID) })
	tags, err := restock(ctx, tx, moves)
	if err != nil {
		return err
	}
	return purge.Append(ctx, tx, s.DB.Dialect, tags, stockPurgeSoft, now)
}

// returnedUnits are the units of each line (by line_no) that refunds not
// refused give back.
func returnedUnits(ctx context.Context, tx *sql.Tx, orderID int64) (map[int]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rl.line_no, SUM(rl.quantity) FROM refund_lines rl
		JOIN refunds r ON r.id = rl.refund_id WHERE r.order_id = $1 AND r.state <> $2 GROUP BY rl.line_no`, orderID, RefundFailed)
	if err != nil {
		return nil, fmt.Errorf("checkout: returned lines: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var no, n int
		if err := rows.Scan(&no, &n); err != nil {
			return nil, fmt.Errorf("checkout: returned lines: %w", err)
		}
		out[no] = n
	}
	return out, rows.Err()
}

func refundByKey(ctx context.Context, tx *sql.Tx, orderID int64, key string) (*Refund, error) {
	rf := &Refund{Key: key}
	err := tx.QueryRowContext(ctx, `SELECT id, amount_cents, state, provider_ref, note, created_at FROM refunds
		WHERE order_id = $1 AND idem_key = $2`, orderID, key).Scan(&rf.ID, &rf.AmountCents, &rf.State, &rf.ProviderRef, &rf.Note, &rf.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkout: refund %q: %w", key, err)
	}
	if rf.Lines, err = refundLines(ctx, tx, rf.ID); err != nil {
		return nil, err
	}
	return rf, nil
}

func refundLines(ctx context.Context, tx *sql.Tx, id int64) ([]RefundLine, error) {
	rows, err := tx.QueryContext(ctx, `SELECT line_no, quantity FROM refund_lines WHERE refund_id = $1 ORDER BY line_no`, id)
	if err != nil {
		return nil, fmt.Errorf("checkout: refund lines: %w", err)
	}
	defer rows.Close()
	var out []RefundLine
	for rows.Next() {
		var l RefundLine
		if err := rows.Scan(&l.LineNo, &l.Quantity); err != nil {
			return nil, fmt.Errorf("checkout: refund lines: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Refunds returns the refunds of the order with id, oldest first.
func (s *Service) Refunds(ctx context.Context, orderID int64) ([]Refund, error) {
	rows, err := s.DB.Query(ctx, `SELECT r.id, r.idem_key, r.amount_cents, r.state, r.provider_ref, r.note, r.created_at,
		COALESCE(rl.line_no, 0), COALESCE(rl.quantity, 0)
		FROM refunds r LEFT JOIN refund_lines rl ON rl.refund_id = r.id
		WHERE r.order_id = $1 ORDER BY r.id, rl.line_no`, orderID)
	if err != nil {
		return nil, fmt.Errorf("checkout: refunds: %w", err)
	}
	defer rows.Close()
	var out []Refund
	for rows.Next() {
		var rf Refund
		var l RefundLine
		if err := rows.Scan(&rf.ID, &rf.Key, &rf.AmountCents, &rf.State, &rf.ProviderRef, &rf.Note, &rf.CreatedAt, &l.LineNo, &l.Quantity); err != nil {
			return nil, fmt.Errorf("checkout: refunds: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != rf.ID {
			out = append(out, rf)
		}
		if l.Quantity > 0 {
			last := &out[len(out)-1]
			last.Lines = append(last.Lines, l)
		}
	}
	return out, rows.Err()
}
