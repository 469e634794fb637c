package cart

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MergeTx moves the guest cart of fromSessionHash into the cart of
// toCustomerID on login, inside the login transaction: quantities are added,
// then capped by the stock and MaxQuantity (a line with no stock left is
// dropped); the guest cart is deleted.
func MergeTx(ctx context.Context, tx *sql.Tx, fromSessionHash string, toCustomerID int64, now time.Time) error {
	if fromSessionHash == "" || toCustomerID == 0 {
		return nil
	}
	now = now.UTC()
	rows, err := tx.QueryContext(ctx, `SELECT ci.variant_id, ci.quantity, v.stock, COALESCE(mine.quantity, 0)
		FROM carts c
		JOIN cart_items ci ON ci.cart_id = c.id
		JOIN variants v ON v.id = ci.variant_id
		LEFT JOIN carts cc ON cc.customer_id = $2
		LEFT JOIN cart_items mine ON mine.cart_id = cc.id AND mine.variant_id = ci.variant_id
		WHERE c.session_hash = $1
		ORDER BY ci.added_at, ci.variant_id`, fromSessionHash, toCustomerID)
	if err != nil {
		return fmt.Errorf("cart: merge: %w", err)
	}
	type item struct {
		variant int64
		qty     int
	}
	var items []item
	for rows.Next() {
		var it item
		var guest, stock, mine int
		if err := rows.Scan(&it.variant, &guest, &stock, &mine); err != nil {
			rows.Close()
			return fmt.Errorf("cart: merge: %w", err)
		}
		it.qty = min(mine+guest, stock, MaxQuantity)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cart: merge: %w", err)
	}
	if len(items) == 0 {
		return dropGuestCart(ctx, tx, fromSessionHash)
	}
	cartID, err := ensureCart(ctx, tx, "customer_id", toCustomerID, now)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.qty <= 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE cart_id = $1 AND variant_id = $2`, cartID, it.variant); err != nil {
				return fmt.Errorf("cart: merge: %w", err)
			}
			continue
		}
		if err := setQuantity(ctx, tx, cartID, it.variant, it.qty, now); err != nil {
			return err
		}
	}
	return dropGuestCart(ctx, tx, fromSessionHash)
}

func dropGuestCart(ctx context.Context, tx *sql.Tx, sessionHash string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM carts WHERE session_hash = $1`, sessionHash); err != nil {
		return fmt.Errorf("cart: merge: drop guest cart: %w", err)
	}
	return nil
}
