package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"agora/internal/catalog"
	"agora/internal/checkout"
)

// dashboardPage is the data of dashboard.html.
type dashboardPage struct {
	layout
	Periods       []periodFigures // today, this week
	LowStock      []lowStockRow
	Recent        []orderRow
	LowStockLimit int
}

// periodFigures are the orders placed in a period and their revenue per
// currency (a store may have changed currency; sums never mix them).
type periodFigures struct {
	Label   string
	Orders  int
	Revenue []moneySum
}

type moneySum struct {
	Cents    int64
	Currency string
}

type lowStockRow struct {
	ProductID         int64
	Product, SKU, Var string
	Stock             int
}

// dashboardLowStock bounds the low-stock list: the worst first.
const dashboardLowStock = 20

// dashboard serves GET /admin/: today's and this week's orders and
// revenue, variants running low, the latest orders. Staff who may not read
// orders see the stock list only.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := dashboardPage{layout: h.newLayout(r, "Dashboard", "dashboard"), LowStockLimit: catalog.LowStock}
	var err error
	if data.Can("orders.read") {
		now := h.now()
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		// Weeks start on Monday (ISO 8601).
		week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		for _, p := range []struct {
			label string
			from  time.Time
		}{{"Today", day}, {"This week", week}} {
			f, err := h.figures(ctx, p.label, p.from)
			if err != nil {
				h.serverError(w, r, err)
				return
			}
			data.Periods = append(data.Periods, f)
		}
		if data.Recent, _, err = h.listOrders(ctx, orderFilter{PerPage: 8, Page: 1}); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	if data.LowStock, err = h.lowStock(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "dashboard", data)
}

// figures counts the orders placed since from and sums the revenue of
// those not cancelled or refunded.
func (h *Handler) figures(ctx context.Context, label string, from time.Time) (periodFigures, error) {
	p := periodFigures{Label: label}
	err := h.DB.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE created_at >= $1`, from).Scan(&p.Orders)
	if err != nil {
		return p, fmt.Errorf("admin: count orders: %w", err)
	}
	rows, err := h.DB.Query(ctx, `SELECT currency, COALESCE(SUM(total_cents), 0) FROM orders
		WHERE created_at >= $1 AND status NOT IN ($2, $3) GROUP BY currency ORDER BY currency`,
		from, string(checkout.StatusCancelled), string(checkout.StatusRefunded))
	if err != nil {
		return p, fmt.Errorf("admin: revenue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m moneySum
		if err := rows.Scan(&m.Currency, &m.Cents); err != nil {
			return p, fmt.Errorf("admin: revenue: %w", err)
		}
		p.Revenue = append(p.Revenue, m)
	}
	return p, rows.Err()
}

// lowStock lists the variants of active products at or under
// catalog.LowStock, the emptiest first.
func (h *Handler) lowStock(ctx context.Context) ([]lowStockRow, error) {
	rows, err := h.DB.Query(ctx, `SELECT p.id, p.name, v.sku, v.name, v.stock
		FROM variants v JOIN products p ON p.id = v.product_id
		WHERE p.status = 'active' AND v.stock <= $1
		ORDER BY v.stock, p.name, v.id LIMIT $2`, catalog.LowStock, dashboardLowStock)
	if err != nil {
		return nil, fmt.Errorf("admin: low stock: %w", err)
	}
	defer rows.Close()
	var out []lowStockRow
	for rows.Next() {
		var l lowStockRow
		if err := rows.Scan(&l.ProductID, &l.Product, &l.SKU, &l.Var, &l.Stock); err != nil {
			return nil, fmt.Errorf("admin: low stock: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
