package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"agora/internal/checkout"
	"agora/internal/customer"
)

type customerRow struct {
	ID          int64
	Email, Name string
	Orders      int
	CreatedAt   time.Time
}

const customersPerPage = 50

type customersPage struct {
	layout
	Query     string
	Customers []customerRow
	Pager     pager
}

// customers serves GET /admin/customers?q=&page=, newest first.
func (h *Handler) customers(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	page := pageNumber(r.URL.Query().Get("page"))
	rows, total, err := h.listCustomers(r.Context(), q, page)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customers", customersPage{layout: h.newLayout(r, "Customers", "customers"),
		Query: q, Customers: rows, Pager: newPager(r.URL, page, customersPerPage, total)})
}

// listCustomers returns a page of customers matching q in the e-mail or
// name, with their order counts.
func (h *Handler) listCustomers(ctx context.Context, q string, page int) ([]customerRow, int, error) {
	cond, args := "", []any{}
	if q != "" {
		// LOWER on both sides: PostgreSQL's LIKE is case-sensitive.
		cond = ` WHERE c.email LIKE $1 ESCAPE '\' OR LOWER(c.name) LIKE $1 ESCAPE '\'`
		args = append(args, likePattern(strings.ToLower(q)))
	}
	var total int
	if err := h.DB.QueryRow(ctx, `SELECT COUNT(*) FROM customers c`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("admin: count customers: %w", err)
	}
	n := len(args)
	args = append(args, customersPerPage, (page-1)*customersPerPage)
	rows, err := h.DB.Query(ctx, fmt.Sprintf(`SELECT c.id, c.email, c.name, c.created_at,
		(SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id)
		FROM customers c%s ORDER BY c.created_at DESC, c.id DESC LIMIT $%d OFFSET $%d`, cond, n+1, n+2), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("admin: list customers: %w", err)
	}
	defer rows.Close()
	var out []customerRow
	for rows.Next() {
		var c customerRow
		if err := rows.Scan(&c.ID, &c.Email, &c.Name, &c.CreatedAt, &c.Orders); err != nil {
			return nil, 0, fmt.Errorf("admin: list customers: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

type customerPage struct {
	layout
	Customer  customer.Customer
	Addresses []customer.Address
	Orders    []checkout.Order
}

// customerPage serves GET /admin/customers/{id}: the account, its saved
// addresses and its orders.
func (h *Handler) customerPage(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	ctx := r.Context()
	c, err := h.Customers.ByID(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := customerPage{layout: h.newLayout(r, c.Name, "customers"), Customer: c}
	if data.Addresses, err = h.Customers.Addresses(ctx, id); err != nil {
		h.serverError(w, r, err)
		return
	}
	if data.Orders, err = h.Checkout.CustomerOrders(ctx, id); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "customer", data)
}
