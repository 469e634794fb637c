package api

import (
	"net/http"
	"time"

	"agora/internal/checkout"
	"agora/internal/fault"
)

// ordersMaxPage bounds ?page= of order lists (a deeper offset is no use to anyone
// and costs the database a scan).
const ordersMaxPage = 10000

type adminOrderSummaryJSON struct {
	OrderNumber string    `json:"order_number"`
	Status      string    `json:"status"`
	Email       string    `json:"email"`
	TotalCents  int64     `json:"total_cents"`
	Currency    string    `json:"currency"`
	CreatedAt   time.Time `json:"created_at"`
}

type adminOrdersJSON struct {
	Items   []adminOrderSummaryJSON `json:"items"`
	Total   int                     `json:"total"`
	Page    int                     `json:"page"`
	PerPage int                     `json:"per_page"`
}

// parseOrderQuery reads GET /api/v1/admin/orders's parameters; the status
// and the search are checked by checkout.ListOrders.
func parseOrderQuery(r *http.Request) (checkout.OrderFilter, error) {
	v := r.URL.Query()
	f := checkout.OrderFilter{Status: checkout.Status(v.Get("status")), Query: v.Get("q")}
	var err error
	if f.Page, err = positive(v.Get("page"), "page"); err != nil {
		return f, err
	}
	if f.PerPage, err = positive(v.Get("per_page"), "per_page"); err != nil {
		return f, err
	}
	if f.Page > ordersMaxPage {
		return f, fault.Field("page", "Page must be at most %d.", ordersMaxPage)
	}
	return f, nil
}

// adminListOrders serves GET /api/v1/admin/orders: checkout.ListOrders,
// the listing the admin pages show too, newest first, filtered by status
// and by q (the beginning of an order number or any part of the e-mail),
// per_page clamped to checkout.MaxOrdersPerPage.
func (h *Handler) adminListOrders(w http.ResponseWriter, r *http.Request) {
	f, err := parseOrderQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.Checkout.ListOrders(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := adminOrdersJSON{Items: make([]adminOrderSummaryJSON, len(list.Orders)), Total: list.Total,
		Page: list.Page, PerPage: list.PerPage}
	for i, o := range list.Orders {
		out.Items[i] = adminOrderSummaryJSON{OrderNumber: o.Number, Status: string(o.Status), Email: o.Email,
			TotalCents: o.TotalCents, Currency: o.Currency, CreatedAt: o.CreatedAt}
	}
	writePrivate(w, http.StatusOK, out)
}

// adminOrder serves GET /api/v1/admin/orders/{number}: any order, for staff.
func (h *Handler) adminOrder(w http.ResponseWriter, r *http.Request) {
	o, err := h.Checkout.Order(r.Context(), r.PathValue("number"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, toOrderJSON(o))
}

type orderStatusJSON struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// adminOrderStatus serves POST /api/v1/admin/orders/{number}/status:
// {status, note?}. A move the workflow does not allow is 409; cancelling
// or refunding puts the stock back once, however often it is asked.
func (h *Handler) adminOrderStatus(w http.ResponseWriter, r *http.Request) {
	var in orderStatusJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.Checkout.SetStatus(r.Context(), r.PathValue("number"), checkout.Status(in.Status), in.Note)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "order status changed", "order", o.Number, "status", o.Status)
	writePrivate(w, http.StatusOK, toOrderJSON(o))
}
