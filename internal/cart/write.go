package cart

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/store"
)

// Add puts qty more units of a variant into o's cart, creating the cart if
// needed. The resulting quantity must fit the stock and MaxQuantity; if it
// does not, nothing changes.
func (s *Service) Add(ctx context.Context, o Owner, variantID int64, qty int) (Cart, error) {
	if err := checkQuantity(qty, 1); err != nil {
		return Cart{}, err
	}
	return s.put(ctx, o, variantID, func(current int) int { return current + qty })
}

// Set makes the quantity of a variant in o's cart exactly qty; 0 removes it.
func (s *Service) Set(ctx context.Context, o Owner, variantID int64, qty int) (Cart, error) {
	if err := checkQuantity(qty, 0); err != nil {
		return Cart{}, err
	}
	if qty == 0 {
		return s.Remove(ctx, o, variantID)
	}
	return s.put(ctx, o, variantID, func(int) int { return qty })
}

// Remove takes a variant out of o's cart; removing what is not there is
// not an error (a double click, a second tab).
func (s *Service) Remove(ctx context.Context, o Owner, variantID int64) (Cart, error) {
	col, val, err := o.key()
	if err != nil {
		return Cart{}, err
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM cart_items
			WHERE variant_id = $1 AND cart_id = (SELECT id FROM carts WHERE `+col+` = $2)`, variantID, val)
		return err
	})
	if err != nil {
		return Cart{}, fmt.Errorf("cart: remove: %w", err)
	}
	return s.Get(ctx, o)
}

// put sets the quantity of a variant to next(current) in one transaction.
func (s *Service) put(ctx context.Context, o Owner, variantID int64, next func(current int) int) (Cart, error) {
	col, val, err := o.key()
	if err != nil {
		return Cart{}, err
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		v, err := buyable(ctx, tx, variantID)
		if err != nil {
			return err
		}
		// The upsert locks the cart row until commit (PostgreSQL), so two
		// tabs adding at once run one after the other and the read below
		// sees the other's quantity: no lost update.
		cartID, err := ensureCart(ctx, tx, col, val, now)
		if err != nil {
			return err
		}
		current, err := quantityOf(ctx, tx, cartID, variantID)
		if err != nil {
			return err
		}
		want := next(current)
		if err := fits(want, v); err != nil {
			return err
		}
		return setQuantity(ctx, tx, cartID, variantID, want, now)
	})
	if err != nil {
		return Cart{}, err
	}
	return s.Get(ctx, o)
}

// variantStock is what put needs to know about a variant.
type variantStock struct {
	SKU   string
	Stock int
}

// buyable returns the variant if it exists and its product is active.
func buyable(ctx context.Context, tx *sql.Tx, variantID int64) (variantStock, error) {
	var v variantStock
	err := tx.QueryRowContext(ctx, `SELECT v.sku, v.stock FROM variants v JOIN products p ON p.id = v.product_id
		WHERE v.id = $1 AND p.status = 'active'`, variantID).Scan(&v.SKU, &v.Stock)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fault.Field("variant_id", "This product is not available.")
	}
	if err != nil {
		return v, fmt.Errorf("cart: variant %d: %w", variantID, err)
	}
	return v, nil
}

// fits checks a wanted quantity against MaxQuantity and the stock.
func fits(want int, v variantStock) error {
	if want > MaxQuantity {
		return fault.Field("quantity", "At most %d of one item fit in a cart.", MaxQuantity)
	}
	if want > v.Stock {
		return OutOfStock(v.SKU, v.Stock)
	}
	return nil
}

// OutOfStock is the error for asking more of a variant than there is.
func OutOfStock(sku string, stock int) error {
	msg := fmt.Sprintf("Only %d left of %s.", stock, sku)
	if stock <= 0 {
		msg = fmt.Sprintf("%s is out of stock.", sku)
	}
	return &fault.Error{Code: fault.OutOfStock, Field: "quantity", Message: msg}
}

// ensureCart returns the id of the cart selected by col = val, creating it.
func ensureCart(ctx context.Context, tx *sql.Tx, col string, val any, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO carts (`+col+`, updated_at) VALUES ($1, $2)
		ON CONFLICT (`+col+`) DO UPDATE SET updated_at = excluded.updated_at RETURNING id`, val, now).Scan(&id)
	if store.IsForeignKeyViolation(err) {
		// The session was logged out or cleaned up between the request's
		// lookup and here; the shopper reloads and gets a fresh one.
		return 0, fault.New(fault.NotFound, "Your session has ended. Please reload the page.")
	}
	if err != nil {
		return 0, fmt.Errorf("cart: create: %w", err)
	}
	return id, nil
}

func quantityOf(ctx context.Context, tx *sql.Tx, cartID, variantID int64) (int, error) {
	var q int
	err := tx.QueryRowContext(ctx, `SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = $2`,
		cartID, variantID).Scan(&q)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cart: read line: %w", err)
	}
	return q, nil
}

// setQuantity writes a line; added_at stays that of the first add, so lines
// keep their place in the cart.
func setQuantity(ctx context.Context, tx *sql.Tx, cartID, variantID int64, qty int, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cart_items (cart_id, variant_id, quantity, added_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity`, cartID, variantID, qty, now)
	if err != nil {
		return fmt.Errorf("cart: write line: %w", err)
	}
	return nil
}

// ClearTx empties o's cart inside tx (after an order is placed). The cart
// row stays: it is the customer's, or dies with the guest session.
func ClearTx(ctx context.Context, tx *sql.Tx, o Owner) error {
	col, val, err := o.key()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cart_items WHERE cart_id = (SELECT id FROM carts WHERE `+col+` = $1)`, val); err != nil {
		return fmt.Errorf("cart: clear: %w", err)
	}
	return nil
}
