package admin

import (
	"net/http"
	"net/url"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/page"
)

// actionLabels are the status buttons' words.
var actionLabels = map[checkout.Status]string{
	checkout.StatusPaid:      "Mark as paid",
	checkout.StatusFulfilled: "Mark as fulfilled",
	checkout.StatusCancelled: "Cancel order",
	checkout.StatusRefunded:  "Refund",
}

type statusAction struct {
	To     checkout.Status
	Label  string
	Danger bool // cancel and refund put the stock back: styled apart
}

type orderPage struct {
	layout
	Order   *checkout.Order
	Events  []checkout.Event
	Actions []statusAction
	Form    *form
	// CardMode is "test" or "live" (the Stripe key's), "" without card
	// payments: staff must not take test payments for money.
	CardMode string
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
	data := orderPage{layout: h.newLayout(r, "Order "+o.Number, "orders"), Order: o, Form: f, CardMode: h.CardMode}
	if data.Events, err = h.Checkout.Events(ctx, o.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if data.Can("orders.write") {
		// The workflow's own moves (checkout.Next), so only buttons that
		// can work are offered; SetStatus stays the authority.
		for _, to := range checkout.Next(o.Status) {
			data.Actions = append(data.Actions, statusAction{To: to, Label: actionLabels[to], Danger: checkout.PutsStockBack(to)})
		}
	}
	h.render(w, r, status, "order", data)
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
