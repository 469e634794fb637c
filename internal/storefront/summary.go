package storefront

import (
	"agora/internal/cart"
	"agora/internal/checkout"
)

// summary is what the "orderlines" and "totals" templates show of a quote,
// an order, or a cart not priced for shipping yet (Estimate).
type summary struct {
	Lines                                                             []checkout.Line
	Currency                                                          string
	SubtotalCents, DiscountCents, ShippingCents, TaxCents, TotalCents int64
	DiscountCode, ShippingName                                        string
	TaxIncluded                                                       bool
	// Estimate: shipping and tax are not known yet (no address), so the
	// total is the subtotal.
	Estimate bool
}

func quoteSummary(q checkout.Quote) summary {
	return summary{
		Lines: q.Lines, Currency: q.Currency,
		SubtotalCents: q.SubtotalCents, DiscountCents: q.DiscountCents,
		ShippingCents: q.ShippingCents, TaxCents: q.TaxCents, TotalCents: q.TotalCents,
	}
}

func orderSummary(o *checkout.Order) summary {
	return summary{
		Lines: o.Lines, Currency: o.Currency,
		SubtotalCents: o.SubtotalCents, DiscountCents: o.DiscountCents,
		ShippingCents: o.ShippingCents, TaxCents: o.TaxCents, TotalCents: o.TotalCents,
		DiscountCode: o.DiscountCode, TaxIncluded: o.PricesIncludeTax,
	}
}

func cartSummary(c cart.Cart) summary {
	s := summary{Currency: c.Currency, SubtotalCents: c.SubtotalCents, TotalCents: c.SubtotalCents, Estimate: true}
	for _, l := range c.Lines {
		s.Lines = append(s.Lines, checkout.Line{
			VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU,
			ProductName: l.ProductName, VariantName: l.VariantName,
			UnitPriceCents: l.UnitPriceCents, Quantity: l.Quantity, LineTotalCents: l.LineTotalCents,
		})
	}
	return s
}
