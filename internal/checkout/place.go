package checkout

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"agora/internal/cart"
	"agora/internal/fault"
	"agora/internal/mail"
	"agora/internal/purge"
	"agora/internal/store"
)

// keyLockClass is the first key of the two-key PostgreSQL advisory lock
// that serializes placements with the same Idempotency-Key (the second key
// is a hash of the idempotency key). Two-key locks never collide with the
// one-key lock of the purge log.
const keyLockClass = 0x6f726472 // "ordr"

// Place validates r and places the order in one transaction (see the
// package comment). The same IdempotencyKey returns the order it created
// before, with created false. Errors: a fault for a field (nothing
// written), *OutOfStockError, or a wrapped internal error.
func (s *Service) Place(ctx context.Context, r Request) (o *Order, created bool, err error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, false, err
	}
	p, err := s.validate(r, st)
	if err != nil {
		return nil, false, err
	}
	// A retry of a placed order is the common case of a repeated key:
	// answer it from the read pool without taking the writer.
	if o, err := s.byKey(ctx, p); err == nil || fault.CodeOf(err) != fault.NotFound {
		return o, false, err
	}
	var existing bool
	txErr := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if existing, err = s.keyTaken(ctx, tx, p.IdempotencyKey); err != nil || existing {
			return err
		}
		o, err = s.placeTx(ctx, tx, p, st)
		return err
	})
	if existing || store.IsUniqueViolation(txErr) {
		// Placed meanwhile by a concurrent request with the same key.
		o, err = s.byKey(ctx, p)
		return o, false, err
	}
	if txErr != nil {
		return nil, false, txErr
	}
	return o, true, nil
}

// keyTaken reports whether an order with key exists. On PostgreSQL it
// first takes a transaction lock on the key, so concurrent requests with
// one key run one after the other and the later ones see the first's order
// (SQLite's single writer does the same by itself).
func (s *Service) keyTaken(ctx context.Context, tx *sql.Tx, key string) (bool, error) {
	if s.DB.Dialect == store.Postgres {
		h := fnv.New32a()
		h.Write([]byte(key))
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, keyLockClass, int32(h.Sum32())); err != nil {
			return false, fmt.Errorf("checkout: lock key: %w", err)
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM orders WHERE idempotency_key = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkout: idempotency key: %w", err)
	}
	return true, nil
}

// byKey returns the order placed with p's key, if the same shopper placed
// it: a key is not a way to read someone else's order.
func (s *Service) byKey(ctx context.Context, p *placement) (*Order, error) {
	o, err := s.readOrder(ctx, `o.idempotency_key = $1`, p.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	if !o.ownedBy(p.CustomerID, p.SessionHash) {
		return nil, &fault.Error{Code: fault.Conflict, Field: "idempotency_key", Message: "This Idempotency-Key was used for another order; send a new one."}
	}
	return o, nil
}

// placeTx is the order transaction. It does no slow work: no network, no
// mail delivery (mail.Enqueue writes a row), so locks are held briefly.
func (s *Service) placeTx(ctx context.Context, tx *sql.Tx, p *placement, st Settings) (*Order, error) {
	now := s.now()
	cl, err := cart.LinesTx(ctx, tx, p.Cart)
	if err != nil {
		return nil, err
	}
	lines, moves, err := orderLines(cl, st.Currency)
	if err != nil {
		return nil, err
	}
	var subtotal int64
	for _, l := range lines {
		subtotal += l.LineTotalCents
	}
	var disc *Discount
	if p.DiscountCode != "" {
		if disc, err = loadDiscount(ctx, txRow(tx), p.DiscountCode, subtotal, st.Currency, now); err != nil {
			return nil, err
		}
	}
	q := price(lines, disc, p.ship, st.taxRate(p.ShippingAddress.Country), st.PricesIncludeTax, st.Currency)

	tags, err := takeStock(ctx, tx, moves)
	if err != nil {
		return nil, err
	}
	if disc != nil {
		if err := useDiscount(ctx, tx, disc.ID); err != nil {
			return nil, err
		}
	}
	o := &Order{
		Email: p.Email, CustomerID: p.CustomerID, Currency: q.Currency,
		SubtotalCents: q.SubtotalCents, DiscountCents: q.DiscountCents, ShippingCents: q.ShippingCents,
		TaxCents: q.TaxCents, TotalCents: q.TotalCents, PricesIncludeTax: st.PricesIncludeTax,
		ShippingMethod: p.ship.Code, PaymentMethod: p.PaymentMethod, Lines: lines,
		ShippingAddress: p.ShippingAddress, CreatedAt: now, sessionHash: p.SessionHash,
	}
	if disc != nil {
		o.DiscountCode = disc.Code
	}
	if o.Status, err = p.provider.Start(ctx, o); err != nil {
		return nil, fmt.Errorf("checkout: payment %s: %w", p.PaymentMethod, err)
	}
	if err := insertOrder(ctx, tx, o, p.IdempotencyKey); err != nil {
		return nil, err
	}
	if err := cart.ClearTx(ctx, tx, p.Cart); err != nil {
		return nil, err
	}
	if err := purge.Append(ctx, tx, s.DB.Dialect, tags, stockPurgeSoft, now); err != nil {
		return nil, err
	}
	if err := mail.Enqueue(ctx, tx, s.confirmation(o, p.ship), now); err != nil {
		return nil, fmt.Errorf("checkout: confirmation mail: %w", err)
	}
	return o, nil
}

// orderLines turns cart lines into order lines and stock moves, sorted by
// variant id (the lock order of takeStock).
func orderLines(cl []cart.Line, currency string) ([]Line, []stockMove, error) {
	if len(cl) == 0 {
		return nil, nil, fault.Field("cart", "Your cart is empty.")
	}
	cl = slices.Clone(cl)
	slices.SortFunc(cl, func(a, b cart.Line) int { return cmp.Compare(a.VariantID, b.VariantID) })
	lines := make([]Line, len(cl))
	moves := make([]stockMove, len(cl))
	for i, l := range cl {
		if l.Currency != currency {
			return nil, nil, fault.Field("cart", "%s is priced in %s, but this store sells in %s.", l.SKU, l.Currency, currency)
		}
		lines[i] = Line{VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU, ProductName: l.ProductName,
			VariantName: l.VariantName, UnitPriceCents: l.UnitPriceCents, Quantity: l.Quantity, LineTotalCents: l.LineTotalCents}
		moves[i] = stockMove{VariantID: l.VariantID, SKU: l.SKU, Name: l.ProductName, Qty: l.Quantity}
	}
	return lines, moves, nil
}

// maxNumberTries bounds order-number collisions (40 random bits: a retry
// is already rare at millions of orders).
const maxNumberTries = 5

// insertOrder writes o with its lines, address and first event, setting
// o.ID and o.Number.
func insertOrder(ctx context.Context, tx *sql.Tx, o *Order, key string) error {
	for try := 0; o.ID == 0; try++ {
		if try == maxNumberTries {
			return errors.New("checkout: no free order number")
		}
		o.Number = newNumber()
		// ON CONFLICT (number) takes a colliding number back without
		// aborting the transaction; a duplicate key still fails (Place
		// then returns the order of that key).
		err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, idempotency_key, customer_id, session_hash, email, status,
				currency, subtotal_cents, discount_cents, shipping_cents, tax_cents, total_cents, prices_include_tax,
				discount_code, shipping_method, payment_method, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
			ON CONFLICT (number) DO NOTHING RETURNING id`,
			o.Number, key, nullID(o.CustomerID), nullText(o.sessionHash), o.Email, string(o.Status),
			o.Currency, o.SubtotalCents, o.DiscountCents, o.ShippingCents, o.TaxCents, o.TotalCents, o.PricesIncludeTax,
			o.DiscountCode, o.ShippingMethod, o.PaymentMethod, o.CreatedAt).Scan(&o.ID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("checkout: insert order: %w", err)
		}
	}
	for i, l := range o.Lines {
		o.Lines[i].No = i + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku,
				product_name, variant_name, unit_price_cents, quantity, line_total_cents)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, o.ID, i+1, l.VariantID, l.ProductID, l.SKU,
			l.ProductName, l.VariantName, l.UnitPriceCents, l.Quantity, l.LineTotalCents); err != nil {
			return fmt.Errorf("checkout: insert order line: %w", err)
		}
	}
	a := o.ShippingAddress
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_addresses (order_id, kind, name, line1, line2, city, postal_code, country, phone)
		VALUES ($1, 'shipping', $2, $3, $4, $5, $6, $7, $8)`, o.ID, a.Name, a.Line1, a.Line2, a.City, a.PostalCode, a.Country, a.Phone); err != nil {
		return fmt.Errorf("checkout: insert order address: %w", err)
	}
	return addEvent(ctx, tx, o.ID, "", o.Status, "placed", o.CreatedAt)
}

func addEvent(ctx context.Context, tx *sql.Tx, orderID int64, from, to Status, note string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, from_status, to_status, note, created_at)
		VALUES ($1, $2, $3, $4, $5)`, orderID, string(from), string(to), note, now); err != nil {
		return fmt.Errorf("checkout: order event: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
