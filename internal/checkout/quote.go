package checkout

import (
	"context"
	"strings"

	"agora/internal/cart"
	"agora/internal/fault"
)

// Options returns the shipping and payment methods the checkout offers.
func (s *Service) Options(ctx context.Context) (Options, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return Options{}, err
	}
	o := Options{Shipping: st.Shipping, Currency: st.Currency}
	for _, p := range s.providers() {
		o.Payment = append(o.Payment, p.Method())
	}
	return o, nil
}

// Quote prices r's cart as Place would, without writing anything: for the
// checkout page's totals. Only the parts of r that change the price are
// checked (shipping method, discount code); the tax rate is the one of the
// address's country, or the default rate while none is given.
func (s *Service) Quote(ctx context.Context, r Request) (Quote, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return Quote{}, err
	}
	code := r.ShippingMethod
	if code == "" {
		code = "standard"
	}
	ship, ok := st.shipping(code)
	if !ok {
		return Quote{}, fault.Field("shipping_method", "Please choose one of the shipping methods offered.")
	}
	c, err := (&cart.Service{DB: s.DB}).Get(ctx, r.Cart)
	if err != nil {
		return Quote{}, err
	}
	lines, _, err := orderLines(c.Lines, st.Currency)
	if err != nil {
		return Quote{}, err
	}
	var disc *Discount
	if strings.TrimSpace(r.DiscountCode) != "" {
		if disc, err = loadDiscount(ctx, s.dbRow, r.DiscountCode, c.SubtotalCents, st.Currency, s.now()); err != nil {
			return Quote{}, err
		}
	}
	country := strings.ToUpper(strings.TrimSpace(r.ShippingAddress.Country))
	return price(lines, disc, ship, st.taxRate(country), st.PricesIncludeTax, st.Currency), nil
}
