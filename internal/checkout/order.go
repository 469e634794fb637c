package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const orderColumns = `o.id, o.number, o.status, o.email, COALESCE(o.customer_id, 0), COALESCE(o.session_hash, ''),
	o.currency, o.subtotal_cents, o.discount_cents, o.shipping_cents, o.tax_cents, o.total_cents,
	o.prices_include_tax, o.discount_code, o.shipping_method, o.payment_method, o.created_at, o.restocked,
	COALESCE(o.payment_ref, ''), o.refunded_cents`

func scanOrder(row interface{ Scan(...any) error }, o *Order) error {
	return row.Scan(&o.ID, &o.Number, &o.Status, &o.Email, &o.CustomerID, &o.sessionHash,
		&o.Currency, &o.SubtotalCents, &o.DiscountCents, &o.ShippingCents, &o.TaxCents, &o.TotalCents,
		&o.PricesIncludeTax, &o.DiscountCode, &o.ShippingMethod, &o.PaymentMethod, &o.CreatedAt, &o.Restocked,
		&o.PaymentRef, &o.RefundedCents)
}

// Order returns the order with number (as typed: case and look-alike
// letters do not matter), with its lines and address; for staff.
func (s *Service) Order(ctx context.Context, number string) (*Order, error) {
	n, ok := normalizeNumber(number)
	if !ok {
		return nil, errNoOrder
	}
	return s.readOrder(ctx, `o.number = $1`, n)
}

// OrderFor is Order for a shopper: only the customer who placed it, or the
// session that placed it, sees it. Anyone else gets the same not-found as
// for a number that does not exist, so numbers cannot be probed.
func (s *Service) OrderFor(ctx context.Context, number string, customerID int64, sessionHash string) (*Order, error) {
	o, err := s.Order(ctx, number)
	if err != nil {
		return nil, err
	}
	if !o.ownedBy(customerID, sessionHash) {
		return nil, errNoOrder
	}
	return o, nil
}

func (o *Order) ownedBy(customerID int64, sessionHash string) bool {
	return customerID != 0 && o.CustomerID == customerID || sessionHash != "" && o.sessionHash == sessionHash
}

// readOrder reads one order matching where (on alias o) from the read
// pool, with lines and address.
func (s *Service) readOrder(ctx context.Context, where string, arg any) (*Order, error) {
	var o Order
	err := scanOrder(s.DB.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders o WHERE `+where, arg), &o)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, fmt.Errorf("checkout: order: %w", err)
	}
	if err := s.readLines(ctx, &o); err != nil {
		return nil, err
	}
	a := &o.ShippingAddress
	err = s.DB.QueryRow(ctx, `SELECT name, line1, line2, city, postal_code, country, phone
		FROM order_addresses WHERE order_id = $1 AND kind = 'shipping'`, o.ID).
		Scan(&a.Name, &a.Line1, &a.Line2, &a.City, &a.PostalCode, &a.Country, &a.Phone)
	if err != nil {
		return nil, fmt.Errorf("checkout: address of order %s: %w", o.Number, err)
	}
	return &o, nil
}

func (s *Service) readLines(ctx context.Context, o *Order) error {
	rows, err := s.DB.Query(ctx, `SELECT line_no, COALESCE(variant_id, 0), COALESCE(product_id, 0), sku, product_name, variant_name,
		unit_price_cents, quantity, line_total_cents,
		(SELECT COALESCE(SUM(rl.quantity), 0) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
			WHERE r.order_id = order_lines.order_id AND rl.line_no = order_lines.line_no AND r.state <> $2)
		FROM order_lines WHERE order_id = $1 ORDER BY line_no`, o.ID, RefundFailed)
	if err != nil {
		return fmt.Errorf("checkout: lines of order %s: %w", o.Number, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.No, &l.VariantID, &l.ProductID, &l.SKU, &l.ProductName, &l.VariantName,
			&l.UnitPriceCents, &l.Quantity, &l.LineTotalCents, &l.ReturnedQuantity); err != nil {
			return fmt.Errorf("checkout: lines of order %s: %w", o.Number, err)
		}
		o.Lines = append(o.Lines, l)
	}
	return rows.Err()
}

// Event is one move of an order along its workflow.
type Event struct {
	From, To  Status // From is "" for the order's first event
	Note      string
	CreatedAt time.Time
}

// Events returns the status history of the order with id, oldest first.
func (s *Service) Events(ctx context.Context, orderID int64) ([]Event, error) {
	rows, err := s.DB.Query(ctx, `SELECT from_status, to_status, note, created_at FROM order_events
		WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("checkout: events of order %d: %w", orderID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.From, &e.To, &e.Note, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("checkout: events of order %d: %w", orderID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
