package storefront

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"agora/internal/cart"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/page"
	"agora/internal/session"
)

type checkoutPage struct {
	layout
	Form           form
	OutOfStock     []checkout.OutOfStockLine
	CustomerName   string // "" for a guest
	Email          input
	Saved          []savedAddress
	NewChecked     bool
	Address        []input
	SaveAddress    bool
	Shipping       []choice
	Payment        []choice
	Discount       input
	Summary        summary
	Quoted         bool
	IdempotencyKey string
}

type savedAddress struct {
	customer.Address
	Checked bool
}

// choice is one radio button of a group.
type choice struct {
	Value, Label, Note, Price string
	Checked                   bool
}

// checkoutNames are the checkout form's inputs, named as checkout.Place
// names its fields.
var checkoutNames = append([]string{"email", "address_id", "save_address", "shipping_method",
	"payment_method", "discount_code", "idempotency_key", "action"}, addressNames("shipping_address.")...)

// checkoutView is what one rendering of the checkout page starts from.
type checkoutView struct {
	sess       *session.Session
	form       form
	outOfStock []checkout.OutOfStockLine
}

// checkoutPage serves GET /checkout; an empty cart sends the shopper back
// to /cart.
func (h *Handler) checkoutPage(w http.ResponseWriter, r *http.Request) {
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	h.showCheckout(w, r, http.StatusOK, checkoutView{sess: s, form: form{Values: map[string]string{}}})
}

// checkoutPost serves POST /checkout: "Apply" prices the form again (a
// discount code, another shipping method), "Place order" places it.
func (h *Handler) checkoutPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	if s == nil {
		// No session, no cart: the session expired or never was.
		page.SeeOther(w, r, "/cart")
		return
	}
	v := checkoutView{sess: s, form: page.NewForm(r, checkoutNames...)}
	// No saved address picked means the typed one, also when the page is
	// shown again: it must not default to a saved address then.
	setDefault(v.form.Values, "address_id", "new")
	cust, saved, err := h.customerOf(ctx, s)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	req, err := checkoutRequest(v.form, s, cust, saved)
	if err != nil {
		// Without saved addresses the choice is not on the page: say it on top.
		v.form.Fail(err, func(string) bool { return len(saved) > 0 })
		h.showCheckout(w, r, http.StatusBadRequest, v)
		return
	}
	if v.form.Value("action") == "apply" {
		h.showCheckout(w, r, http.StatusOK, v)
		return
	}
	o, created, err := h.Checkout.Place(ctx, req)
	if err != nil {
		h.checkoutFailed(w, r, v, err)
		return
	}
	if created && v.form.Value("save_address") != "" && cust.ID != 0 && !usesSaved(v.form) {
		// Best effort: the order is placed whatever happens here.
		if _, err := h.Customers.AddAddress(ctx, cust.ID, req.ShippingAddress); err != nil {
			h.log().Warn("storefront: save checkout address", "customer_id", cust.ID, "err", err)
		}
	}
	if h.Stripe != nil && o.PaymentMethod == h.Stripe.Method().Code && o.Status == checkout.StatusPendingPayment {
		// The card form: the intent is created there, after commit.
		page.SeeOther(w, r, "/checkout/pay/"+o.Number)
		return
	}
	page.SeeOther(w, r, "/orders/"+o.Number)
}

// checkoutFailed renders the form again after Place refused it.
func (h *Handler) checkoutFailed(w http.ResponseWriter, r *http.Request, v checkoutView, err error) {
	var oos *checkout.OutOfStockError
	switch {
	case errors.As(err, &oos):
		v.outOfStock = oos.Lines
	case fault.CodeOf(err) == fault.Internal:
		h.ServerError(w, r, err)
		return
	default:
		saved := usesSaved(v.form)
		shown := func(name string) bool {
			// A saved address's fields are hidden: its problem goes on top.
			return !(saved && strings.HasPrefix(name, "shipping_address.")) && name != "idempotency_key"
		}
		v.form.Fail(err, shown)
		if !saved && fault.CodeOf(err) == fault.Invalid {
			// Place stops at the first problem; the address's others are
			// worth showing at once rather than one per attempt.
			v.form.Fail(prefixFields("shipping_address.", customer.ValidateAddress(addressFrom(v.form, "shipping_address."))), shown)
		}
		if v.form.Message == "" {
			// On a phone the first message may be a long scroll away.
			v.form.Message = "Some details need another look: see the messages below."
		}
	}
	h.showCheckout(w, r, page.Status(err), v)
}

// usesSaved reports whether the form picked a saved address.
func usesSaved(f form) bool {
	id := f.Value("address_id")
	return id != "" && id != "new"
}

// customerOf returns the logged-in customer of s and their addresses, or
// zero values for a guest.
func (h *Handler) customerOf(ctx context.Context, s *session.Session) (customer.Customer, []customer.Address, error) {
	if s == nil || s.CustomerID == 0 || h.Customers == nil {
		return customer.Customer{}, nil, nil
	}
	c, err := h.Customers.ByID(ctx, s.CustomerID)
	if err != nil {
		return customer.Customer{}, nil, err
	}
	saved, err := h.Customers.Addresses(ctx, c.ID)
	return c, saved, err
}

// checkoutRequest builds the request the form describes. Prices and
// quantities are not in it: checkout reads them from the database.
func checkoutRequest(f form, s *session.Session, cust customer.Customer, saved []customer.Address) (checkout.Request, error) {
	req := checkout.Request{
		Email:          f.Value("email"),
		ShippingMethod: f.Value("shipping_method"),
		PaymentMethod:  f.Value("payment_method"),
		DiscountCode:   f.Value("discount_code"),
		IdempotencyKey: f.Value("idempotency_key"),
		Cart:           ownerOf(s),
		CustomerID:     s.CustomerID,
		SessionHash:    s.Hash,
	}
	if req.Email == "" {
		req.Email = cust.Email
	}
	if !usesSaved(f) {
		req.ShippingAddress = addressFrom(f, "shipping_address.")
		return req, nil
	}
	for _, a := range saved {
		if strconv.FormatInt(a.ID, 10) == f.Value("address_id") {
			req.ShippingAddress = a
			return req, nil
		}
	}
	return req, fault.Field("address_id", "Choose one of your saved addresses, or enter a new one.")
}

// showCheckout renders the checkout form for v with a fresh idempotency
// key and the totals of what it describes.
func (h *Handler) showCheckout(w http.ResponseWriter, r *http.Request, status int, v checkoutView) {
	ctx := r.Context()
	var c cart.Cart // no session: an empty cart
	if v.sess != nil {
		var err error
		if c, err = h.Carts.Get(ctx, ownerOf(v.sess)); err != nil {
			h.ServerError(w, r, err)
			return
		}
	}
	if len(c.Lines) == 0 {
		if v.form.Message != "" {
			h.showCart(w, r, v.sess, status, fault.New(fault.Invalid, "%s", v.form.Message), 0)
			return
		}
		page.SeeOther(w, r, "/cart")
		return
	}
	cust, saved, err := h.customerOf(ctx, v.sess)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	st, err := h.Checkout.Settings(ctx)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	opts, err := h.Checkout.Options(ctx)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	f := v.form
	setDefault(f.Values, "email", cust.Email)
	if len(saved) > 0 {
		setDefault(f.Values, "address_id", strconv.FormatInt(saved[0].ID, 10))
	}
	if len(opts.Shipping) > 0 {
		setDefault(f.Values, "shipping_method", opts.Shipping[0].Code)
	}
	if len(opts.Payment) > 0 {
		setDefault(f.Values, "payment_method", opts.Payment[0].Code)
	}

	data := checkoutPage{
		layout:         h.shopLayout(r, "Checkout"),
		OutOfStock:     v.outOfStock,
		CustomerName:   cust.Name,
		SaveAddress:    f.Value("save_address") != "",
		IdempotencyKey: newKey(),
	}
	data.Summary, data.Quoted, err = h.quote(ctx, &f, v.sess, cust, saved)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	data.Summary.TaxIncluded = st.PricesIncludeTax
	data.Summary.ShippingName = methodName(opts, f.Value("shipping_method"))
	if data.Summary.Estimate {
		data.Summary = cartSummary(c)
	}
	data.Form = f
	data.Email = f.Fill([]input{{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: 254, Required: true,
		Hint: "For your order confirmation."}})[0]
	data.Discount = f.Fill([]input{{Name: "discount_code", Label: "Code", Autocomplete: "off", MaxLen: 64}})[0]
	data.Address = f.Fill(addressFields("shipping_address.", "shipping ", len(saved) == 0, st.Countries))
	for _, a := range saved {
		data.Saved = append(data.Saved, savedAddress{Address: a, Checked: f.Value("address_id") == strconv.FormatInt(a.ID, 10)})
	}
	data.NewChecked = len(saved) > 0 && !usesSaved(f)
	for _, m := range opts.Shipping {
		ch := choice{Value: m.Code, Label: m.Name, Price: money.Format(m.PriceCents, opts.Currency), Checked: m.Code == f.Value("shipping_method")}
		switch {
		case m.FreeOverCents > 0 && c.SubtotalCents >= m.FreeOverCents:
			ch.Price, ch.Note = "Free", "Free on orders over "+money.Format(m.FreeOverCents, opts.Currency)
		case m.FreeOverCents > 0:
			ch.Note = "Free on orders over " + money.Format(m.FreeOverCents, opts.Currency)
		}
		data.Shipping = append(data.Shipping, ch)
	}
	for _, p := range opts.Payment {
		ch := choice{Value: p.Code, Label: p.Name, Checked: p.Code == f.Value("payment_method")}
		switch p.Code {
		case "manual":
			ch.Note = "Pay by bank transfer with the details in your confirmation e-mail, or in cash when the parcel arrives."
		case "card":
			ch.Note = "Pay by card on the next page, through Stripe."
		}
		data.Payment = append(data.Payment, ch)
	}
	h.renderPrivate(w, r, status, "checkout", data)
}

// quote prices what f describes. A discount code checkout refuses gets its
// message next to the field and the quote is made without it; a form not
// complete enough to price (no address yet) gives an estimate (the cart's
// subtotal) instead of an error.
func (h *Handler) quote(ctx context.Context, f *form, s *session.Session, cust customer.Customer, saved []customer.Address) (summary, bool, error) {
	req, err := checkoutRequest(*f, s, cust, saved)
	if err != nil {
		return summary{Estimate: true}, false, nil
	}
	for {
		q, err := h.Checkout.Quote(ctx, req)
		if err == nil {
			sum := quoteSummary(q)
			sum.DiscountCode = req.DiscountCode
			return sum, true, nil
		}
		switch {
		case fault.CodeOf(err) == fault.Internal:
			return summary{}, false, err
		case fault.FieldOf(err) == "discount_code" && req.DiscountCode != "":
			if f.Error("discount_code") == "" {
				if f.Errors == nil {
					f.Errors = map[string]string{}
				}
				f.Errors["discount_code"] = fault.MessageOf(err)
			}
			req.DiscountCode = ""
		default:
			return summary{Estimate: true}, false, nil
		}
	}
}

// methodName names a shipping method by its code.
func methodName(opts checkout.Options, code string) string {
	for _, m := range opts.Shipping {
		if m.Code == code {
			return m.Name
		}
	}
	return code
}

func setDefault(values map[string]string, name, value string) {
	if values[name] == "" {
		values[name] = value
	}
}

// prefixFields prefixes the field of each domain error in err, as
// checkout.Place names the fields of customer.ValidateAddress.
func prefixFields(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range page.Errors(err) {
		c := *e
		if c.Field != "" {
			c.Field = prefix + c.Field
		}
		out = append(out, &c)
	}
	return errors.Join(out...)
}
