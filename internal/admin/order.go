package admin

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/page"
)

// actionLabels are the status buttons' words.
var actionLabels = map[checkout.Status]string{
	checkout.StatusPaid:      "Mark as paid",
	checkout.StatusFulfilled: "Mark as fulfilled",
	checkout.StatusCancelled: "Cancel order",
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
	Refunds  []checkout.Refund
	// Refund is the refund form, when the order can be refunded and the
	// staff member may.
	Refund *refundForm
}

// refundForm is the order page's refund form. Key is the idempotency
// key of this rendering of it: submitting twice (a double click, a retry
// after the card service did not answer) makes one refund.
type refundForm struct {
	Key   string
	Lines []refundFormLine
	Left  int64 // what can still be refunded, minor units
}

type refundFormLine struct {
	No        int
	Name, SKU string
	Left      int // units not given back yet
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
	if data.Refunds, err = h.Checkout.Refunds(ctx, o.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	if data.Can("orders.write") {
		// The workflow's own moves (checkout.Next), so only buttons that
		// can work are offered; SetStatus stays the authority. Refunding
		// is the refund form's: it gives the money back, too.
		for _, to := range checkout.Next(o.Status) {
			if to != checkout.StatusRefunded {
				data.Actions = append(data.Actions, statusAction{To: to, Label: actionLabels[to], Danger: checkout.PutsStockBack(to)})
			}
		}
		data.Refund = newRefundForm(o, data.Refunds, f.Value("key"))
	}
	h.render(w, r, status, "order", data)
}

// newRefundForm is the refund form of o, or nil when o cannot be
// refunded (not paid, or nothing left). key is the one of a form sent
// back with an error, so sending it again finishes the same refund.
func newRefundForm(o *checkout.Order, refunds []checkout.Refund, key string) *refundForm {
	if o.Status != checkout.StatusPaid && o.Status != checkout.StatusFulfilled {
		return nil
	}
	var pending int64
	for _, rf := range refunds {
		if rf.State == checkout.RefundPending {
			pending += rf.AmountCents
		}
	}
	rf := &refundForm{Key: key, Left: o.RefundableCents(pending)}
	if rf.Left == 0 && pending == 0 {
		return nil
	}
	if rf.Key == "" {
		rf.Key = rand.Text()
	}
	for _, l := range o.Lines {
		if left := l.Quantity - l.ReturnedQuantity; left > 0 {
			rf.Lines = append(rf.Lines, refundFormLine{No: l.No, Name: l.ProductName, SKU: l.SKU, Left: left})
		}
	}
	return rf
}

// orderRefund serves POST /admin/orders/{number}/refunds: key, amount
// (optional, in the order's currency), note, and qty-N, the units of
// line N given back.
func (h *Handler) orderRefund(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	number := r.PathValue("number")
	o, err := h.Checkout.Order(ctx, number)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names := []string{"key", "amount", "note"}
	for _, l := range o.Lines {
		names = append(names, "qty-"+strconv.Itoa(l.No))
	}
	f := newForm(r, names...)
	req := checkout.RefundRequest{Key: f.Value("key"), Note: f.Value("note")}
	for _, l := range o.Lines {
		v := f.Value("qty-" + strconv.Itoa(l.No))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Set("lines", "A quantity to give back is a whole number.")
			h.showOrder(w, r, http.StatusBadRequest, f)
			return
		}
		req.Lines = append(req.Lines, checkout.RefundLine{LineNo: l.No, Quantity: n})
	}
	if v := f.Value("amount"); v != "" {
		if req.AmountCents, err = money.Parse(v, o.Currency); err != nil {
			f.Set("amount", "Write the amount as a number, such as 12.50.")
			h.showOrder(w, r, http.StatusBadRequest, f)
			return
		}
	}
	if _, _, err = h.Checkout.Refund(ctx, number, req); err != nil {
		switch {
		case isInternal(err):
			h.serverError(w, r, err)
		case fault.CodeOf(err) == fault.NotFound:
			h.fail(w, r, err)
		default:
			if fault.CodeOf(err) != fault.Unavailable {
				// Nothing was recorded under the key, or it was another
				// refund's: a corrected form is a new request. After no
				// answer the same key finishes the pending refund.
				f.Values["key"] = ""
			}
			f.Fail(err, func(field string) bool { return field == "note" || field == "amount" || field == "lines" })
			h.showOrder(w, r, page.FormStatus(err), f)
		}
		return
	}
	page.SeeOther(w, r, "/admin/orders/"+url.PathEscape(o.Number)+"?done=refund")
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
