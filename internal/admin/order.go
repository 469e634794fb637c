package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/page"
)

// nextStatuses mirrors checkout's workflow (checkout/status.go) to offer
// only the buttons that can work; checkout.SetStatus stays the authority
// and refuses anything else with a conflict, which the page then shows.
var nextStatuses = map[checkout.Status][]checkout.Status{
	checkout.StatusPendingPayment: {checkout.StatusPaid, checkout.StatusCancelled},
	checkout.StatusPaid:           {checkout.StatusFulfilled, checkout.StatusRefunded, checkout.StatusCancelled},
	checkout.StatusFulfilled:      {checkout.StatusRefunded},
}

// actionLabels are the status buttons' words.
var actionLabels = map[checkout.Status]string{
	checkout.StatusPaid:      "Mark as paid",
	checkout.StatusFulfilled: "Mark as fulfilled",
	checkout.StatusCancelled: "Cancel order",
	checkout.StatusRefunded:  "Refund",
}

type orderEvent struct {
	From, To  checkout.Status
	Note      string
	CreatedAt time.Time
}

type statusAction struct {
	To     checkout.Status
	Label  string
	Danger bool // cancel and refund put the stock back: styled apart
}

type orderPage struct {
	layout
	Order     *checkout.Order
	Events    []orderEvent
	Restocked bool
	Actions   []statusAction
	Form      *form
}

// orderPage serves GET /admin/orders/{number}.
func (h *Handler) orderPage(w http.ResponseWriter, r *http.Request) {
	h.showOrder(w, r, http.StatusOK, emptyForm())
}

func (h *Handler) showOrder(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := r.Context()
	o, err := h.Checkout.Order(ctx, r.PathValue("number"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := orderPage{layout: h.newLayout(r, "Order "+o.Number, "orders"), Order: o, Form: f}
	if data.Events, data.Restocked, err = h.orderHistory(ctx, o.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if data.Can("orders.write") {
		for _, to := range nextStatuses[o.Status] {
			danger := to == checkout.StatusCancelled || to == checkout.StatusRefunded
			data.Actions = append(data.Actions, statusAction{To: to, Label: actionLabels[to], Danger: danger})
		}
	}
	h.render(w, r, status, "order", data)
}

// orderHistory reads an order's status events, oldest first, and whether
// its stock was put back.
func (h *Handler) orderHistory(ctx context.Context, orderID int64) ([]orderEvent, bool, error) {
	var restocked bool
	if err := h.DB.QueryRow(ctx, `SELECT restocked FROM orders WHERE id = $1`, orderID).Scan(&restocked); err != nil {
		return nil, false, fmt.Errorf("admin: order %d: %w", orderID, err)
	}
	rows, err := h.DB.Query(ctx, `SELECT from_status, to_status, note, created_at FROM order_events
		WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, false, fmt.Errorf("admin: order events: %w", err)
	}
	defer rows.Close()
	var out []orderEvent
	for rows.Next() {
		var e orderEvent
		if err := rows.Scan(&e.From, &e.To, &e.Note, &e.CreatedAt); err != nil {
			return nil, false, fmt.Errorf("admin: order events: %w", err)
		}
		out = append(out, e)
	}
	return out, restocked, rows.Err()
}

// orderStatus serves POST /admin/orders/{number}/status (status, note).
func (h *Handler) orderStatus(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := newForm(r, "status", "note")
	number := r.PathValue("number")
	o, err := h.Checkout.SetStatus(r.Context(), number, checkout.Status(f.Value("status")), f.Value("note"))
	if err != nil {
		switch {
		case isInternal(err):
			h.serverError(w, r, err)
		case fault.CodeOf(err) == fault.NotFound:
			h.fail(w, r, err)
		default:
			f.Fail(err, func(field string) bool { return field == "note" })
			h.showOrder(w, r, page.FormStatus(err), f)
		}
		return
	}
	page.SeeOther(w, r, "/admin/orders/"+url.PathEscape(o.Number)+"?done=status")
}
