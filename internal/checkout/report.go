package checkout

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Figures for the admin's dashboard and lists, read here because checkout
// owns the orders table.

// Sales are the orders placed in a period and their revenue.
type Sales struct {
	Orders int
	// Revenue sums the orders not cancelled or refunded, one sum per
	// currency (a store may have changed currency; sums never mix them),
	// ordered by currency.
	Revenue []Amount
}

// Amount is a sum of money in minor units of Currency.
type Amount struct {
	Cents    int64
	Currency string
}

// SalesSince counts the orders placed at or after from and sums their revenue.
func (s *Service) SalesSince(ctx context.Context, from time.Time) (Sales, error) {
	var out Sales
	err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE created_at >= $1`, from).Scan(&out.Orders)
	if err != nil {
		return out, fmt.Errorf("checkout: count orders: %w", err)
	}
	rows, err := s.DB.Query(ctx, `SELECT currency, COALESCE(SUM(total_cents), 0) FROM orders
		WHERE created_at >= $1 AND status NOT IN ($2, $3) GROUP BY currency ORDER BY currency`,
		from, string(StatusCancelled), string(StatusRefunded))
	if err != nil {
		return out, fmt.Errorf("checkout: revenue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Amount
		if err := rows.Scan(&a.Currency, &a.Cents); err != nil {
			return out, fmt.Errorf("checkout: revenue: %w", err)
		}
		out.Revenue = append(out.Revenue, a)
	}
	return out, rows.Err()
}

// OrderCounts returns how many orders each of the customers ids has placed;
// customers without orders are absent.
func (s *Service) OrderCounts(ctx context.Context, ids []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.DB.Query(ctx, `SELECT customer_id, COUNT(*) FROM orders WHERE customer_id IN (`+
		strings.Join(ph, ", ")+`) GROUP BY customer_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("checkout: order counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("checkout: order counts: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
