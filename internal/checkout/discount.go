package checkout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/store"
)

// Discount kinds.
const (
	DiscountPercent = "percent" // Value is 1..100 (percent of the subtotal)
	DiscountFixed   = "fixed"   // Value is minor units of the store currency
)

// maxCodeLen bounds discount codes; shoppers type them.
const maxCodeLen = 64

// Discount is a code shoppers type at checkout.
type Discount struct {
	ID               int64
	Code             string // stored upper-case; matched case-insensitively
	Kind             string // DiscountPercent or DiscountFixed
	Value            int64
	MinSubtotalCents int64
	StartsAt, EndsAt *time.Time // valid from StartsAt (inclusive) until EndsAt (exclusive); nil = open
	UsageLimit       *int       // total uses over all shoppers; nil = unlimited
	UsedCount        int
	Active           bool
}

// normalizeCode upper-cases and trims a typed code; ok is false when it
// cannot be a code (then no query is made: invalid UTF-8 never reaches
// PostgreSQL).
func normalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || len(s) > maxCodeLen {
		return s, false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return s, false
		}
	}
	return s, true
}

// CreateDiscount validates and stores a new discount code.
func (s *Service) CreateDiscount(ctx context.Context, d Discount) (Discount, error) {
	code, ok := normalizeCode(d.Code)
	if !ok {
		return d, fault.Field("code", "A code is 1 to %d letters, digits, - or _.", maxCodeLen)
	}
	d.Code = code
	if err := d.validate(); err != nil {
		return d, err
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO discounts (code, kind, value, min_subtotal_cents, starts_at, ends_at,
			usage_limit, used_count, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			d.Code, d.Kind, d.Value, d.MinSubtotalCents, utcPtr(d.StartsAt), utcPtr(d.EndsAt), d.UsageLimit, d.UsedCount,
			d.Active, s.now()).Scan(&d.ID)
	})
	if store.IsUniqueViolation(err) {
		return d, &fault.Error{Code: fault.Conflict, Field: "code", Message: fmt.Sprintf("The code %s exists already.", d.Code)}
	}
	if err != nil {
		return d, fmt.Errorf("checkout: create discount: %w", err)
	}
	return d, nil
}

func (d Discount) validate() error {
	switch {
	case d.Kind != DiscountPercent && d.Kind != DiscountFixed:
		return fault.Field("kind", "A discount is %q or %q.", DiscountPercent, DiscountFixed)
	case d.Kind == DiscountPercent && (d.Value < 1 || d.Value > 100):
		return fault.Field("value", "A percent discount is from 1 to 100.")
	case d.Value < 1:
		return fault.Field("value", "A fixed discount is at least 1 cent.")
	case d.MinSubtotalCents < 0:
		return fault.Field("min_subtotal_cents", "The minimum subtotal cannot be negative.")
	case d.StartsAt != nil && d.EndsAt != nil && !d.EndsAt.After(*d.StartsAt):
		return fault.Field("ends_at", "The end must be after the start.")
	case d.UsageLimit != nil && *d.UsageLimit < 1:
		return fault.Field("usage_limit", "The usage limit is at least 1 (or none).")
	case d.UsedCount < 0 || d.UsageLimit != nil && d.UsedCount > *d.UsageLimit:
		return fault.Field("used_count", "The used count must be between 0 and the limit.")
	}
	return nil
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// queryRower is a *sql.Tx or a *store.DB read.
type queryRower func(ctx context.Context, query string, args ...any) interface{ Scan(...any) error }

// txRow is tx's QueryRowContext as a queryRower.
func txRow(tx *sql.Tx) queryRower {
	return func(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
		return tx.QueryRowContext(ctx, query, args...)
	}
}

// dbRow is s.DB's QueryRow (retried when the connection was lost) as a
// queryRower.
func (s *Service) dbRow(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
	return s.DB.QueryRow(ctx, query, args...)
}

// loadDiscount reads a typed code and checks it applies to subtotal at
// now. Every refusal is a fault for the field "discount_code".
func loadDiscount(ctx context.Context, q queryRower, typed string, subtotal int64, currency string, now time.Time) (*Discount, error) {
	code, ok := normalizeCode(typed)
	if !ok {
		return nil, fault.Field("discount_code", "This discount code is not valid.")
	}
	var d Discount
	err := scanDiscount(q(ctx, `SELECT `+discountColumns+` FROM discounts WHERE code = $1`, code), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Field("discount_code", "This discount code is not valid.")
	}
	if err != nil {
		return nil, fmt.Errorf("checkout: discount: %w", err)
	}
	return &d, d.applies(subtotal, currency, now)
}

const discountColumns = `id, code, kind, value, min_subtotal_cents, starts_at, ends_at, usage_limit, used_count, active`

func scanDiscount(row interface{ Scan(...any) error }, d *Discount) error {
	var starts, ends sql.NullTime
	var limit sql.NullInt64
	if err := row.Scan(&d.ID, &d.Code, &d.Kind, &d.Value, &d.MinSubtotalCents,
		&starts, &ends, &limit, &d.UsedCount, &d.Active); err != nil {
		return err
	}
	if starts.Valid {
		d.StartsAt = &starts.Time
	}
	if ends.Valid {
		d.EndsAt = &ends.Time
	}
	if limit.Valid {
		n := int(limit.Int64)
		d.UsageLimit = &n
	}
	return nil
}

// Discounts returns every code, newest first, for staff.
func (s *Service) Discounts(ctx context.Context) ([]Discount, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+discountColumns+` FROM discounts ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("checkout: discounts: %w", err)
	}
	defer rows.Close()
	var out []Discount
	for rows.Next() {
		var d Discount
		if err := scanDiscount(rows, &d); err != nil {
			return nil, fmt.Errorf("checkout: discounts: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// applies checks d against an order; the usage limit is checked here for a
// clear message and enforced again by useDiscount's conditional update.
func (d *Discount) applies(subtotal int64, currency string, now time.Time) error {
	switch {
	case !d.Active:
		return fault.Field("discount_code", "This discount code is not valid.")
	case d.StartsAt != nil && now.Before(*d.StartsAt):
		return fault.Field("discount_code", "This discount code is not valid yet.")
	case d.EndsAt != nil && !now.Before(*d.EndsAt):
		return fault.Field("discount_code", "This discount code has expired.")
	case subtotal < d.MinSubtotalCents:
		return fault.Field("discount_code", "This discount code applies to orders of at least %s.", money.Format(d.MinSubtotalCents, currency))
	case d.UsageLimit != nil && d.UsedCount >= *d.UsageLimit:
		return errUsedUp
	}
	return nil
}

var errUsedUp = &fault.Error{Code: fault.Conflict, Field: "discount_code", Message: "This discount code has been used up."}

// useDiscount counts one use within the limit. The condition is re-checked
// on the latest row after waiting for its lock (PostgreSQL READ COMMITTED,
// SQLite's single writer), so concurrent checkouts never exceed the limit.
func useDiscount(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE discounts SET used_count = used_count + 1
		WHERE id = $1 AND (usage_limit IS NULL OR used_count < usage_limit)`, id)
	if err != nil {
		return fmt.Errorf("checkout: use discount: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errUsedUp
	}
	return nil
}
