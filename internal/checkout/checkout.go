// Package checkout turns a cart into an order: store settings (currency,
// tax, shipping), discount codes, totals, payment providers, and order
// placement in one transaction that re-prices the cart, takes the stock with
// conditional updates, counts the discount use, writes the order, clears the
// cart, appends purge-log entries and queues the confirmation e-mail. It
// also owns the order status workflow. It writes settings, discounts,
// orders and their lines, addresses and events; variant and product stock
// only through the conditional updates in stock.go.
package checkout

import (
	"time"

	"agora/internal/cart"
	"agora/internal/customer"
	"agora/internal/store"
)

// Status is where an order stands in its workflow (status.go).
type Status string

const (
	StatusPendingPayment Status = "pending_payment"
	StatusPaid           Status = "paid"
	StatusFulfilled      Status = "fulfilled"
	StatusCancelled      Status = "cancelled"
	StatusRefunded       Status = "refunded"
)

// Options is what a checkout form offers.
type Options struct {
	Shipping []ShippingMethod
	Payment  []PaymentMethod
	Currency string
}

// Request is one checkout attempt. ShippingMethod and PaymentMethod default
// to "standard" and "manual"; DiscountCode is optional.
type Request struct {
	Email           string
	ShippingAddress customer.Address
	ShippingMethod  string
	PaymentMethod   string
	DiscountCode    string
	// IdempotencyKey (1..255 printable ASCII characters) is unique per
	// order: the same key returns the same order, never a second one.
	IdempotencyKey string
	Cart           cart.Owner
	CustomerID     int64  // 0 for a guest
	SessionHash    string // the placing session: it may show the order to a guest
}

// Line is one sold line of an order: copies of what was sold, since the
// catalog may change later.
type Line struct {
	No                   int // its line_no in the order, from 1; 0 in a quote
	VariantID, ProductID int64
	SKU, ProductName     string
	VariantName          string
	UnitPriceCents       int64
	Quantity             int
	LineTotalCents       int64
	// ReturnedQuantity is how many units refunds give back (not counting
	// refused ones).
	ReturnedQuantity int
}

// Order is a placed order with its totals in minor units of Currency.
type Order struct {
	ID                                                                int64
	Number                                                            string // "XXXX-XXXX", see number.go
	Status                                                            Status
	Email                                                             string
	CustomerID                                                        int64
	Currency                                                          string
	SubtotalCents, DiscountCents, ShippingCents, TaxCents, TotalCents int64
	PricesIncludeTax                                                  bool
	DiscountCode, ShippingMethod, PaymentMethod                       string
	Lines                                                             []Line
	ShippingAddress                                                   customer.Address
	CreatedAt                                                         time.Time
	// Restocked says the goods went back to stock (cancelled or refunded).
	Restocked bool
	// PaymentRef is the provider's payment id (a Stripe PaymentIntent,
	// "pi_…"); "" until a card payment was started.
	PaymentRef string
	// RefundedCents is how much the provider refunded, cumulative.
	RefundedCents int64

	sessionHash string // the placing session, for OrderFor
}

// Quote is a priced cart before placing it.
type Quote struct {
	Lines                                                             []Line
	SubtotalCents, DiscountCents, ShippingCents, TaxCents, TotalCents int64
	Currency                                                          string
}

// Service places and reads orders.
type Service struct {
	DB *store.DB
	// Providers are the payment methods offered, in order. If nil, only
	// Manual.
	Providers []Provider
	// Now is the clock for created_at, discount windows and events. If
	// nil, time.Now.
	Now func() time.Time
	// StoreName and BaseURL ("https://shop.example") appear in the
	// confirmation e-mail; the order page is BaseURL + "/orders/" + number.
	StoreName, BaseURL string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
