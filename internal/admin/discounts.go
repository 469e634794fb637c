package admin

import (
	"fmt"
	"net/http"
	"time"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/page"
)

type discountsPage struct {
	layout
	Discounts []checkout.Discount
	Currency  string
	Form      *form
	Fields    []input
}

var discountNames = []string{"code", "kind", "value", "min_subtotal_cents", "starts_at", "ends_at", "usage_limit", "active"}

func discountFields(f *form, currency string) []input {
	return f.Fill([]input{
		{Name: "code", Label: "Code", Required: true, MaxLen: 64, Placeholder: "SUMMER10", Hint: "Letters, digits, - and _. Shoppers may type it in any case."},
		{Name: "kind", Label: "Type", Type: "select", Required: true, Options: []option{
			{Value: checkout.DiscountPercent, Label: "Percent off the subtotal"},
			{Value: checkout.DiscountFixed, Label: "Fixed amount off (" + currency + ")"}}},
		{Name: "value", Label: "Value", Required: true, Inputmode: "decimal",
			Hint: "A percentage from 1 to 100, or an amount such as " + money.Decimal(5*money.Scale(money.Exponent(currency)), currency) + "."},
		{Name: "min_subtotal_cents", Label: "Minimum subtotal", Inputmode: "decimal", Placeholder: money.Decimal(0, currency)},
		{Name: "starts_at", Label: "Valid from", Type: "date"},
		{Name: "ends_at", Label: "Valid until", Type: "date", Hint: "The code stops working at the start of this day (UTC)."},
		{Name: "usage_limit", Label: "Usage limit", Inputmode: "numeric", Hint: "Total uses by all shoppers; empty for no limit."},
		{Name: "active", Label: "Active", Type: "checkbox"},
	})
}

// discounts serves GET /admin/discounts: the codes and a form for a new one.
func (h *Handler) discounts(w http.ResponseWriter, r *http.Request) {
	f := emptyForm()
	f.Values["active"] = "on"
	f.Values["kind"] = checkout.DiscountPercent
	h.showDiscounts(w, r, http.StatusOK, f)
}

func (h *Handler) showDiscounts(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := r.Context()
	st, err := h.Checkout.Settings(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	list, err := h.Checkout.Discounts(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, "discounts", discountsPage{layout: h.newLayout(r, "Discount codes", "discounts"),
		Discounts: list, Currency: st.Currency, Form: f, Fields: discountFields(f, st.Currency)})
}

// discountCreate serves POST /admin/discounts.
func (h *Handler) discountCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	st, err := h.Checkout.Settings(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := newForm(r, discountNames...)
	d := discountFrom(f, st.Currency)
	if !f.Invalid() {
		_, err := h.Checkout.CreateDiscount(r.Context(), d)
		if err == nil {
			page.SeeOther(w, r, "/admin/discounts?done=created")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, f.Has)
	}
	h.showDiscounts(w, r, http.StatusBadRequest, f)
}

// discountFrom reads the form, recording what cannot even be parsed;
// checkout.CreateDiscount checks the rest.
func discountFrom(f *form, currency string) checkout.Discount {
	d := checkout.Discount{Code: f.Value("code"), Kind: f.Value("kind"), Active: f.Checked("active")}
	var err error
	if d.Kind == checkout.DiscountFixed {
		d.Value, err = parseAmount("value", "Value", f.Value("value"), currency)
	} else {
		var n int
		n, err = parseCount("value", "Value", f.Value("value"))
		d.Value = int64(n)
	}
	if err != nil {
		f.Fail(err, f.Has)
	}
	if v := f.Value("min_subtotal_cents"); v != "" {
		if d.MinSubtotalCents, err = parseAmount("min_subtotal_cents", "Minimum subtotal", v, currency); err != nil {
			f.Fail(err, f.Has)
		}
	}
	d.StartsAt = parseDay(f, "starts_at")
	d.EndsAt = parseDay(f, "ends_at")
	if v := f.Value("usage_limit"); v != "" {
		n, err := parseCount("usage_limit", "Usage limit", v)
		if err != nil {
			f.Fail(err, f.Has)
		}
		d.UsageLimit = &n
	}
	return d
}

// parseDay reads a date input (YYYY-MM-DD) as midnight UTC; empty is nil.
func parseDay(f *form, name string) *time.Time {
	v := f.Value(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		f.Fail(fault.Field(name, "Enter a date as YYYY-MM-DD."), f.Has)
		return nil
	}
	return &t
}

// discountValue is how a list shows a code's value.
func discountValue(d checkout.Discount, currency string) string {
	if d.Kind == checkout.DiscountPercent {
		return fmt.Sprintf("%d %%", d.Value)
	}
	return money.Format(d.Value, currency)
}
