package checkout

import "context"

// PaymentMethod is a way to pay, as the checkout form lists it.
type PaymentMethod struct {
	Code, Name string
}

// Provider is a payment method behind a small interface, so card gateways
// can be added later. Start runs inside the order transaction, after stock
// was taken and before the order row is written, and returns the status
// the order starts in; it must be quick and local. A gateway that needs a
// network call would create its payment session after commit instead.
type Provider interface {
	Method() PaymentMethod
	Start(ctx context.Context, o *Order) (Status, error)
}

// Manual is bank transfer or cash on delivery: the order waits for payment,
// which staff confirm by setting it paid.
type Manual struct{}

var _ Provider = Manual{}

func (Manual) Method() PaymentMethod {
	return PaymentMethod{Code: "manual", Name: "Bank transfer or cash on delivery"}
}

func (Manual) Start(context.Context, *Order) (Status, error) { return StatusPendingPayment, nil }

func (s *Service) providers() []Provider {
	if s.Providers == nil {
		return []Provider{Manual{}}
	}
	return s.Providers
}

func (s *Service) provider(code string) (Provider, bool) {
	for _, p := range s.providers() {
		if p.Method().Code == code {
			return p, true
		}
	}
	return nil, false
}
