package checkout

import (
	"fmt"
	"strings"

	"agora/internal/customer"
	"agora/internal/mail"
	"agora/internal/money"
)

// confirmation is the order confirmation e-mail, plain text.
func (s *Service) confirmation(o *Order, ship ShippingMethod) mail.Message {
	store := s.StoreName
	if store == "" {
		store = "Agora"
	}
	money := func(c int64) string { return money.Format(c, o.Currency) }
	var b strings.Builder
	fmt.Fprintf(&b, "Thank you for your order at %s.\n\nOrder %s\n\n", store, o.Number)
	for _, l := range o.Lines {
		fmt.Fprintf(&b, "%d × %s (%s, %s)  %s\n", l.Quantity, l.ProductName, l.VariantName, l.SKU, money(l.LineTotalCents))
	}
	fmt.Fprintf(&b, "\nSubtotal: %s\n", money(o.SubtotalCents))
	if o.DiscountCents > 0 {
		fmt.Fprintf(&b, "Discount (%s): -%s\n", o.DiscountCode, money(o.DiscountCents))
	}
	fmt.Fprintf(&b, "%s: %s\n", ship.Name, money(o.ShippingCents))
	if o.PricesIncludeTax {
		fmt.Fprintf(&b, "Total: %s\n(including tax: %s)\n", money(o.TotalCents), money(o.TaxCents))
	} else {
		fmt.Fprintf(&b, "Tax: %s\nTotal: %s\n", money(o.TaxCents), money(o.TotalCents))
	}
	a := o.ShippingAddress
	fmt.Fprintf(&b, "\nShipping to:\n%s\n%s\n", a.Name, a.Line1)
	if a.Line2 != "" {
		fmt.Fprintf(&b, "%s\n", a.Line2)
	}
	fmt.Fprintf(&b, "%s %s\n%s\n", a.PostalCode, a.City, customer.CountryName(a.Country))
	if o.Status == StatusPendingPayment {
		b.WriteString("\nYour order awaits payment; we ship it once the payment has arrived.\n")
	}
	if s.BaseURL != "" {
		fmt.Fprintf(&b, "\nYour order: %s/orders/%s\n", strings.TrimRight(s.BaseURL, "/"), o.Number)
	}
	return mail.Message{
		To:      o.Email,
		Subject: fmt.Sprintf("Your order %s at %s", o.Number, strings.Join(strings.Fields(store), " ")),
		Text:    b.String(),
	}
}
