package api

import (
	"net/http"
	"time"

	"agora/internal/checkout"
	"agora/internal/fault"
)

type orderSummaryJSON struct {
	OrderNumber string    `json:"order_number"`
	Status      string    `json:"status"`
	TotalCents  int64     `json:"total_cents"`
	Currency    string    `json:"currency"`
	CreatedAt   time.Time `json:"created_at"`
}

type ordersJSON struct {
	Items   []orderSummaryJSON `json:"items"` // newest first; never null
	Total   int                `json:"total"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
}

// listOrders serves GET /api/v1/orders?page=&per_page=: the logged-in
// customer's orders, newest first, a page at a time (per_page clamped to
// checkout.MaxOrdersPerPage).
func (h *Handler) listOrders(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v.customerID == 0 {
		h.fail(w, r, fault.New(fault.Unauthorized, "Log in to see your orders."))
		return
	}
	q := r.URL.Query()
	f := checkout.OrderFilter{CustomerID: v.customerID}
	if f.Page, err = positive(q.Get("page"), "page"); err == nil {
		f.PerPage, err = positive(q.Get("per_page"), "per_page")
	}
	if err == nil && f.Page > ordersMaxPage {
		err = fault.Field("page", "Page must be at most %d.", ordersMaxPage)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.Checkout.ListOrders(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := ordersJSON{Items: make([]orderSummaryJSON, len(list.Orders)), Total: list.Total, Page: list.Page, PerPage: list.PerPage}
	for i, o := range list.Orders {
		out.Items[i] = orderSummaryJSON{OrderNumber: o.Number, Status: string(o.Status),
			TotalCents: o.TotalCents, Currency: o.Currency, CreatedAt: o.CreatedAt.UTC()}
	}
	writePrivate(w, http.StatusOK, out)
}

type orderJSON struct {
	OrderNumber      string          `json:"order_number"`
	Status           string          `json:"status"`
	Email            string          `json:"email"`
	Currency         string          `json:"currency"`
	SubtotalCents    int64           `json:"subtotal_cents"`
	DiscountCents    int64           `json:"discount_cents"`
	ShippingCents    int64           `json:"shipping_cents"`
	TaxCents         int64           `json:"tax_cents"`
	TotalCents       int64           `json:"total_cents"`
	RefundedCents    int64           `json:"refunded_cents"`
	PricesIncludeTax bool            `json:"prices_include_tax"`
	DiscountCode     string          `json:"discount_code"`
	ShippingMethod   string          `json:"shipping_method"`
	PaymentMethod    string          `json:"payment_method"`
	Lines            []orderLineJSON `json:"lines"`
	ShippingAddress  addressJSON     `json:"shipping_address"`
	CreatedAt        time.Time       `json:"created_at"`
}

type orderLineJSON struct {
	LineNo         int    `json:"line_no"`
	VariantID      int64  `json:"variant_id"`
	ProductID      int64  `json:"product_id"`
	SKU            string `json:"sku"`
	ProductName    string `json:"product_name"`
	VariantName    string `json:"variant_name"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	Quantity       int    `json:"quantity"`
	LineTotalCents int64  `json:"line_total_cents"`
	// ReturnedQuantity is how many units refunds gave back.
	ReturnedQuantity int `json:"returned_quantity"`
}

func toOrderJSON(o *checkout.Order) orderJSON {
	out := orderJSON{OrderNumber: o.Number, Status: string(o.Status), Email: o.Email, Currency: o.Currency,
		SubtotalCents: o.SubtotalCents, DiscountCents: o.DiscountCents, ShippingCents: o.ShippingCents,
		TaxCents: o.TaxCents, TotalCents: o.TotalCents, RefundedCents: o.RefundedCents, PricesIncludeTax: o.PricesIncludeTax,
		DiscountCode: o.DiscountCode, ShippingMethod: o.ShippingMethod, PaymentMethod: o.PaymentMethod,
		Lines: make([]orderLineJSON, len(o.Lines)), ShippingAddress: toAddressJSON(o.ShippingAddress),
		CreatedAt: o.CreatedAt.UTC()}
	for i, l := range o.Lines {
		out.Lines[i] = orderLineJSON{LineNo: l.No, VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU,
			ProductName: l.ProductName, VariantName: l.VariantName, UnitPriceCents: l.UnitPriceCents,
			Quantity: l.Quantity, LineTotalCents: l.LineTotalCents, ReturnedQuantity: l.ReturnedQuantity}
	}
	return out
}

// ownOrder is the order of the path's {number} for the customer who
// placed it or the (guest) session that did; anyone else gets the same
// not-found as for a number that does not exist, so numbers cannot be
// probed.
func (h *Handler) ownOrder(r *http.Request) (*checkout.Order, error) {
	v, err := h.visitorOf(r)
	if err != nil {
		return nil, err
	}
	if !v.hasSession() {
		return nil, fault.New(fault.NotFound, "There is no order with this number.")
	}
	return h.Checkout.OrderFor(r.Context(), r.PathValue("number"), v.customerID, v.sessionHash)
}

// order serves GET /api/v1/orders/{number}, for the customer who placed it
// or the (guest) session that did; anyone else gets the same 404 as for a
// number that does not exist, so numbers cannot be probed.
func (h *Handler) order(w http.ResponseWriter, r *http.Request) {
	o, err := h.ownOrder(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, toOrderJSON(o))
}
