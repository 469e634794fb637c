package cart

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// linesQuery reads a cart's lines joined with the catalog, so prices and
// stock are current. Lines of products no longer active (drafted, archived)
// are left out: they cannot be bought, and checkout sees the same list.
const linesQuery = `SELECT v.id, p.id, v.sku, p.slug, p.name, v.name, v.options, p.image_key,
		v.price_cents, v.currency, ci.quantity, v.stock
	FROM carts c
	JOIN cart_items ci ON ci.cart_id = c.id
	JOIN variants v ON v.id = ci.variant_id
	JOIN products p ON p.id = v.product_id
	WHERE c.%s = $1 AND p.status = 'active'
	ORDER BY ci.added_at, v.id`

var (
	linesBySession  = fmt.Sprintf(linesQuery, "session_hash")
	linesByCustomer = fmt.Sprintf(linesQuery, "customer_id")
)

func linesSQL(column string) string {
	if column == "customer_id" {
		return linesByCustomer
	}
	return linesBySession
}

// Get returns o's cart; an empty Cart when o has none.
func (s *Service) Get(ctx context.Context, o Owner) (Cart, error) {
	col, val, err := o.key()
	if err != nil {
		return Cart{}, nil // no session yet: nothing in the cart
	}
	rows, err := s.DB.Query(ctx, linesSQL(col), val)
	if err != nil {
		return Cart{}, fmt.Errorf("cart: read: %w", err)
	}
	lines, err := scanLines(rows)
	if err != nil {
		return Cart{}, err
	}
	return newCart(lines), nil
}

// Count returns the units in o's cart (the header's badge).
func (s *Service) Count(ctx context.Context, o Owner) (int, error) {
	col, val, err := o.key()
	if err != nil {
		return 0, nil
	}
	var n int
	err = s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(ci.quantity), 0)
		FROM carts c
		JOIN cart_items ci ON ci.cart_id = c.id
		JOIN variants v ON v.id = ci.variant_id
		JOIN products p ON p.id = v.product_id
		WHERE c.`+col+` = $1 AND p.status = 'active'`, val).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cart: count: %w", err)
	}
	return n, nil
}

// LinesTx reads o's cart inside tx, for checkout: the lines it prices are
// the lines it sells.
func LinesTx(ctx context.Context, tx *sql.Tx, o Owner) ([]Line, error) {
	col, val, err := o.key()
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, linesSQL(col), val)
	if err != nil {
		return nil, fmt.Errorf("cart: read: %w", err)
	}
	return scanLines(rows)
}

func scanLines(rows *sql.Rows) ([]Line, error) {
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		var opts string
		if err := rows.Scan(&l.VariantID, &l.ProductID, &l.SKU, &l.ProductSlug, &l.ProductName, &l.VariantName,
			&opts, &l.ImageKey, &l.UnitPriceCents, &l.Currency, &l.Quantity, &l.Stock); err != nil {
			return nil, fmt.Errorf("cart: read: %w", err)
		}
		if err := json.Unmarshal([]byte(opts), &l.Options); err != nil {
			return nil, fmt.Errorf("cart: options of variant %d: %w", l.VariantID, err)
		}
		l.LineTotalCents = l.UnitPriceCents * int64(l.Quantity)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cart: read: %w", err)
	}
	return out, nil
}
