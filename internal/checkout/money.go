package checkout

import "math/bits"

// Money is integer minor units (cents) throughout. Every division rounds
// half up (0.5 cent → 1 cent), on non-negative amounts only:
//
//   - percent discount = round(subtotal × percent / 100), at most the subtotal;
//   - fixed discount   = its value, at most the subtotal (an order never
//     costs less than its shipping);
//   - shipping is free when FreeOverCents > 0 and the subtotal after the
//     discount is at least FreeOverCents (what the shopper pays for goods);
//   - tax is computed once per order, on goods after discount plus shipping
//     (shipping is taxed at the same rate), at the rate of the destination:
//     prices including tax: tax = base − round(base × 10000 / (10000 + rate));
//     prices excluding tax: tax = round(base × rate / 10000), added on top.
//
// Rates are basis points: 1900 = 19 %.

// mulDivRound returns round_half_up(x × num / den) for x, num ≥ 0, den > 0,
// with a 128-bit product so large amounts cannot overflow. Callers keep the
// quotient ≤ x (num ≤ den), so it fits 64 bits.
func mulDivRound(x, num, den int64) int64 {
	hi, lo := bits.Mul64(uint64(x), uint64(num))
	q, r := bits.Div64(hi, lo, uint64(den))
	if r >= uint64(den)-r { // r ≥ den/2 without overflow or truncation
		q++
	}
	return int64(q)
}

// discountAmount is what d takes off subtotal, never more than subtotal.
func discountAmount(d *Discount, subtotal int64) int64 {
	if d == nil || subtotal <= 0 {
		return 0
	}
	var off int64
	switch d.Kind {
	case DiscountPercent:
		off = mulDivRound(subtotal, min(d.Value, 100), 100)
	case DiscountFixed:
		off = d.Value
	}
	return max(0, min(off, subtotal))
}

// shippingCost is the price of m for goods worth goods (after discount).
func shippingCost(m ShippingMethod, goods int64) int64 {
	if m.FreeOverCents > 0 && goods >= m.FreeOverCents {
		return 0
	}
	return m.PriceCents
}

// taxOf returns the tax in base and the total to pay.
func taxOf(base int64, rate int, includesTax bool) (tax, total int64) {
	if base <= 0 || rate <= 0 {
		return 0, max(base, 0)
	}
	r := int64(rate)
	if includesTax {
		return base - mulDivRound(base, 10000, 10000+r), base
	}
	tax = mulDivRound(base, r, 10000)
	return tax, base + tax
}

// price totals lines into a Quote.
func price(lines []Line, d *Discount, ship ShippingMethod, rate int, includesTax bool, currency string) Quote {
	q := Quote{Lines: lines, Currency: currency}
	for _, l := range lines {
		q.SubtotalCents += l.LineTotalCents
	}
	q.DiscountCents = discountAmount(d, q.SubtotalCents)
	goods := q.SubtotalCents - q.DiscountCents
	q.ShippingCents = shippingCost(ship, goods)
	q.TaxCents, q.TotalCents = taxOf(goods+q.ShippingCents, rate, includesTax)
	return q
}
