package admin

import (
	"net/http"
	"strings"

	"agora/internal/checkout"
	"agora/internal/customer"
)

type customerRow struct {
	customer.Customer
	Orders int
}

const customersPerPage = 50

type customersPage struct {
	layout
	Query     string
	Customers []customerRow
	Pager     pager
}

// customers serves GET /admin/customers?q=&page=, newest first: the
// accounts from customer.List, each with its order count from checkout.
func (h *Handler) customers(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	page := pageNumber(r.URL.Query().Get("page"))
	ctx := r.Context()
	list, total, err := h.Customers.List(ctx, q, page, customersPerPage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	counts, err := h.Checkout.OrderCounts(ctx, ids)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	rows := make([]customerRow, len(list))
	for i, c := range list {
		rows[i] = customerRow{Customer: c, Orders: counts[c.ID]}
	}
	h.render(w, r, http.StatusOK, "customers", customersPage{layout: h.newLayout(r, "Customers", "customers"),
		Query: q, Customers: rows, Pager: newPager(r.URL, page, customersPerPage, total)})
}

type customerPage struct {
	layout
	Customer  customer.Customer
	Addresses []customer.Address
	Orders    []checkout.OrderSummary // the newest customerOrdersShown
	// OrdersTotal is how many orders the account has; more than Orders
	// links to the order list searched by its e-mail.
	OrdersTotal int
}

// customerOrdersShown bounds the orders a customer's page lists.
const customerOrdersShown = 50

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
	list, err := h.Checkout.ListOrders(ctx, checkout.OrderFilter{CustomerID: id, PerPage: customerOrdersShown})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Orders, data.OrdersTotal = list.Orders, list.Total
	h.render(w, r, http.StatusOK, "customer", data)
}
