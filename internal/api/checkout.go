package api

import (
	"errors"
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/fault"
)

// IdempotencyHeader carries the client's key for one checkout attempt: the
// same key always answers with the same order, never a second one.
const IdempotencyHeader = "Idempotency-Key"

// Defaults of the optional checkout fields (DESIGN.md, "Checkout request body").
const (
	defaultShipping = "standard"
	defaultPayment  = "manual"
)

type optionsJSON struct {
	Shipping []shippingJSON `json:"shipping"`
	Payment  []paymentJSON  `json:"payment"`
	Currency string         `json:"currency"`
}

type shippingJSON struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	PriceCents    int64  `json:"price_cents"`
	FreeOverCents int64  `json:"free_over_cents"` // 0: never free
}

type paymentJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// checkoutOptions serves GET /api/v1/checkout/options.
func (h *Handler) checkoutOptions(w http.ResponseWriter, r *http.Request) {
	opts, err := h.Checkout.Options(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := optionsJSON{Shipping: make([]shippingJSON, len(opts.Shipping)),
		Payment: make([]paymentJSON, len(opts.Payment)), Currency: opts.Currency}
	for i, s := range opts.Shipping {
		out.Shipping[i] = shippingJSON{Code: s.Code, Name: s.Name, PriceCents: s.PriceCents, FreeOverCents: s.FreeOverCents}
	}
	for i, p := range opts.Payment {
		out.Payment[i] = paymentJSON{Code: p.Code, Name: p.Name}
	}
	writePrivate(w, http.StatusOK, out)
}

// checkoutRequest is the body of POST /api/v1/checkout, exactly as DESIGN.md.
type checkoutRequest struct {
	Email           string      `json:"email"`
	ShippingAddress addressJSON `json:"shipping_address"`
	ShippingMethod  string      `json:"shipping_method"`
	PaymentMethod   string      `json:"payment_method"`
	DiscountCode    string      `json:"discount_code"`
}

type addressJSON struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

func (a addressJSON) address() customer.Address {
	return customer.Address{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City,
		PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
}

func toAddressJSON(a customer.Address) addressJSON {
	return addressJSON{Name: a.Name, Line1: a.Line1, Line2: a.Line2, City: a.City,
		PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
}

type placedJSON struct {
	OrderNumber string `json:"order_number"`
	TotalCents  int64  `json:"total_cents"`
	Currency    string `json:"currency"`
	Status      string `json:"status"`
}

// placeOrder serves POST /api/v1/checkout: 201 with the new order, or 200
// with the order an earlier request with the same Idempotency-Key placed.
func (h *Handler) placeOrder(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(IdempotencyHeader)
	if key == "" {
		h.fail(w, r, fault.Field(IdempotencyHeader, "The Idempotency-Key header is required: one unique value "+
			"(such as a random UUID) per checkout attempt, so a retried request never places a second order."))
		return
	}
	var in checkoutRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !v.hasSession() { // no session, no cart
		h.fail(w, r, fault.New(fault.Invalid, "Your cart is empty."))
		return
	}
	req := checkout.Request{Email: in.Email, ShippingAddress: in.ShippingAddress.address(),
		ShippingMethod: in.ShippingMethod, PaymentMethod: in.PaymentMethod, DiscountCode: in.DiscountCode,
		IdempotencyKey: key, Cart: v.cartOwner(), CustomerID: v.customerID, SessionHash: v.sessionHash}
	if req.ShippingMethod == "" {
		req.ShippingMethod = defaultShipping
	}
	if req.PaymentMethod == "" {
		req.PaymentMethod = defaultPayment
	}
	if req.Email == "" && v.customerID != 0 && h.Customers != nil {
		// A customer's account address is the natural default.
		if c, err := h.Customers.ByID(r.Context(), v.customerID); err == nil {
			req.Email = c.Email
		}
	}
	o, created, err := h.Checkout.Place(r.Context(), req)
	if err != nil {
		h.failCheckout(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/orders/"+o.Number)
	}
	writePrivate(w, status, placedJSON{OrderNumber: o.Number, TotalCents: o.TotalCents,
		Currency: o.Currency, Status: string(o.Status)})
}

// outOfStockBody is the 409 of a checkout that asked for more than is left:
// the usual error plus the lines, so a client can fix its cart.
type outOfStockBody struct {
	Error outOfStockDetail `json:"error"`
}

type outOfStockDetail struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Lines   []outOfStockJSON `json:"lines"`
}

type outOfStockJSON struct {
	VariantID int64  `json:"variant_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Requested int    `json:"requested"`
	Available int    `json:"available"`
}

func (h *Handler) failCheckout(w http.ResponseWriter, r *http.Request, err error) {
	var oos *checkout.OutOfStockError
	if !errors.As(err, &oos) {
		h.fail(w, r, err)
		return
	}
	out := outOfStockBody{Error: outOfStockDetail{Code: string(fault.OutOfStock), Message: fault.MessageOf(err),
		Lines: make([]outOfStockJSON, len(oos.Lines))}}
	for i, l := range oos.Lines {
		out.Error.Lines[i] = outOfStockJSON{VariantID: l.VariantID, SKU: l.SKU, Name: l.Name,
			Requested: l.Requested, Available: l.Available}
	}
	WriteJSON(w, http.StatusConflict, cachehdr.Private, out)
}
