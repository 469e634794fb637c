package admin

import (
	"net/http"
	"strings"

	"agora/internal/checkout"
)

// orderFilter is the list's filter as the page shows it.
type orderFilter struct {
	Status string // "" = any
	Query  string // checkout.OrderFilter.Query: a number's beginning or part of the e-mail
}

const ordersPerPage = 50

type ordersPage struct {
	layout
	Filter   orderFilter
	Statuses []option
	Orders   []checkout.OrderSummary
	Pager    pager
}

// orders serves GET /admin/orders?status=&q=&page=: checkout.ListOrders,
// the listing the admin API serves too, so both find the same orders. An
// unknown status is dropped (the select offers only known ones).
func (h *Handler) orders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := orderFilter{Status: q.Get("status"), Query: strings.TrimSpace(q.Get("q"))}
	if _, ok := checkout.ParseStatus(f.Status); !ok {
		f.Status = ""
	}
	page := pageNumber(q.Get("page"))
	list, err := h.Checkout.ListOrders(r.Context(), checkout.OrderFilter{Status: checkout.Status(f.Status), Query: f.Query,
		Page: page, PerPage: ordersPerPage})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := ordersPage{layout: h.newLayout(r, "Orders", "orders"), Filter: f, Orders: list.Orders,
		Pager: newPager(r.URL, page, ordersPerPage, list.Total)}
	data.Statuses = append(data.Statuses, option{Value: "", Label: "Any status", Selected: f.Status == ""})
	for _, s := range checkout.Statuses() {
		data.Statuses = append(data.Statuses, option{Value: string(s), Label: statusLabel(s), Selected: f.Status == string(s)})
	}
	h.render(w, r, http.StatusOK, "orders", data)
}
