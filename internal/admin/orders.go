package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"agora/internal/checkout"
)

// orderRow is an order as lists show it.
type orderRow struct {
	Number     string
	Status     checkout.Status
	Email      string
	CustomerID int64
	TotalCents int64
	Currency   string
	CreatedAt  time.Time
}

// orderFilter selects a page of orders.
type orderFilter struct {
	Status     string // "" = any
	Query      string // part of the number or of the e-mail
	CustomerID int64  // 0 = any
	Page       int
	PerPage    int
}

// statuses are the order statuses in workflow order, for the filter.
var statuses = []checkout.Status{checkout.StatusPendingPayment, checkout.StatusPaid,
	checkout.StatusFulfilled, checkout.StatusCancelled, checkout.StatusRefunded}

const ordersPerPage = 50

type ordersPage struct {
	layout
	Filter   orderFilter
	Statuses []option
	Orders   []orderRow
	Pager    pager
}

// orders serves GET /admin/orders?status=&q=&page=.
func (h *Handler) orders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := orderFilter{Status: q.Get("status"), Query: strings.TrimSpace(q.Get("q")), Page: pageNumber(q.Get("page")), PerPage: ordersPerPage}
	if !validStatus(f.Status) {
		f.Status = ""
	}
	rows, total, err := h.listOrders(r.Context(), f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := ordersPage{layout: h.newLayout(r, "Orders", "orders"), Filter: f, Orders: rows,
		Pager: newPager(r.URL, f.Page, f.PerPage, total)}
	data.Statuses = append(data.Statuses, option{Value: "", Label: "Any status", Selected: f.Status == ""})
	for _, s := range statuses {
		data.Statuses = append(data.Statuses, option{Value: string(s), Label: statusLabel(s), Selected: f.Status == string(s)})
	}
	h.render(w, r, http.StatusOK, "orders", data)
}

func validStatus(s string) bool {
	for _, st := range statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// listOrders returns a page of orders, newest first, and how many match.
func (h *Handler) listOrders(ctx context.Context, f orderFilter) ([]orderRow, int, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.CustomerID != 0 {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if f.Query != "" {
		// Numbers are stored upper-case, e-mails lower-case: one pattern
		// each keeps the search case-insensitive on both dialects.
		where = append(where, fmt.Sprintf(`(number LIKE %s ESCAPE '\' OR email LIKE %s ESCAPE '\')`,
			arg(likePattern(strings.ToUpper(f.Query))), arg(likePattern(strings.ToLower(f.Query)))))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := h.DB.QueryRow(ctx, `SELECT COUNT(*) FROM orders`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("admin: count orders: %w", err)
	}
	page, per := max(f.Page, 1), max(f.PerPage, 1)
	rows, err := h.DB.Query(ctx, `SELECT number, status, email, COALESCE(customer_id, 0), total_cents, currency, created_at
		FROM orders`+cond+` ORDER BY created_at DESC, id DESC LIMIT `+arg(per)+` OFFSET `+arg((page-1)*per), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("admin: list orders: %w", err)
	}
	defer rows.Close()
	var out []orderRow
	for rows.Next() {
		var o orderRow
		if err := rows.Scan(&o.Number, &o.Status, &o.Email, &o.CustomerID, &o.TotalCents, &o.Currency, &o.CreatedAt); err != nil {
			return nil, 0, fmt.Errorf("admin: list orders: %w", err)
		}
		out = append(out, o)
	}
	return out, total, rows.Err()
}

// likePattern makes a LIKE pattern matching s anywhere, with LIKE's own
// wildcards in s escaped (ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
