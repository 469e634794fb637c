package checkout

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"agora/internal/fault"
)

func TestMulDivRound(t *testing.T) {
	tests := []struct{ x, num, den, want int64 }{
		{10, 1, 4, 3},   // 2.5 → 3 (half up)
		{9, 1, 4, 2},    // 2.25 → 2
		{11, 1, 4, 3},   // 2.75 → 3
		{0, 19, 100, 0}, // nothing
		{1190, 10000, 11900, 1000},
		{math.MaxInt64 / 2, 10000, 11900, 3875366402039821767}, // no overflow in the product
	}
	for _, tt := range tests {
		if got := mulDivRound(tt.x, tt.num, tt.den); got != tt.want {
			t.Errorf("mulDivRound(%d, %d, %d) = %d; want %d", tt.x, tt.num, tt.den, got, tt.want)
		}
	}
}

func TestPrice(t *testing.T) {
	standard := ShippingMethod{Code: "standard", PriceCents: 495, FreeOverCents: 5000}
	express := ShippingMethod{Code: "express", PriceCents: 995}
	pct := func(v int64) *Discount { return &Discount{Kind: DiscountPercent, Value: v} }
	fixed := func(v int64) *Discount { return &Discount{Kind: DiscountFixed, Value: v} }
	line := func(unit int64, qty int) Line {
		return Line{UnitPriceCents: unit, Quantity: qty, LineTotalCents: unit * int64(qty)}
	}
	tests := []struct {
		name       string
		lines      []Line
		disc       *Discount
		ship       ShippingMethod
		rate       int
		inclTax    bool
		sub, off   int64
		shipping   int64
		tax, total int64
	}{
		// 20.00 + 4.95 = 24.95 gross at 19 %: net = 24.95/1.19 = 20.966… → 20.97, tax 3.98.
		{"gross, shipping paid", []Line{line(1000, 2)}, nil, standard, 1900, true, 2000, 0, 495, 398, 2495},
		// 60.00 ≥ 50.00: free shipping; tax = 60 − 60/1.19 = 9.579… → 9.58.
		{"gross, free shipping", []Line{line(3000, 2)}, nil, standard, 1900, true, 6000, 0, 0, 958, 6000},
		{"free from exactly the threshold", []Line{line(5000, 1)}, nil, standard, 0, true, 5000, 0, 0, 0, 5000},
		{"express is never free", []Line{line(5000, 2)}, nil, express, 2000, true, 10000, 0, 995, 1832, 10995},
		// net prices: 20.00 + 4.95 = 24.95, 19 % on top = 4.7405 → 4.74.
		{"net, tax on top", []Line{line(1000, 2)}, nil, standard, 1900, false, 2000, 0, 495, 474, 2969},
		// 0.05 at 10 % = 0.005 → rounds half up to 0.01.
		{"net, half a cent rounds up", []Line{line(5, 1)}, nil, ShippingMethod{}, 1000, false, 5, 0, 0, 1, 6},
		{"zero rate", []Line{line(1999, 1)}, nil, express, 0, false, 1999, 0, 995, 0, 2994},
		// 10 % of 33.33 = 3.333 → 3.33; goods 30.00, shipping 4.95.
		{"percent discount", []Line{line(3333, 1)}, pct(10), standard, 0, true, 3333, 333, 495, 0, 3495},
		// 15 % of 0.10 = 0.015 → 0.02 (half up).
		{"percent discount rounds half up", []Line{line(10, 1)}, pct(15), ShippingMethod{}, 0, true, 10, 2, 0, 0, 8},
		{"100 percent", []Line{line(2500, 2)}, pct(100), standard, 1900, true, 5000, 5000, 495, 79, 495},
		// the discount brings goods under the free-shipping threshold.
		{"discount below the threshold", []Line{line(5500, 1)}, fixed(1000), standard, 0, true, 5500, 1000, 495, 0, 4995},
		{"fixed discount never below zero", []Line{line(300, 1)}, fixed(5000), express, 0, true, 300, 300, 995, 0, 995},
		{"empty", nil, pct(10), standard, 1900, true, 0, 0, 495, 79, 495},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := price(tt.lines, tt.disc, tt.ship, tt.rate, tt.inclTax, "EUR")
			got := [5]int64{q.SubtotalCents, q.DiscountCents, q.ShippingCents, q.TaxCents, q.TotalCents}
			want := [5]int64{tt.sub, tt.off, tt.shipping, tt.tax, tt.total}
			if got != want {
				t.Errorf("subtotal, discount, shipping, tax, total = %v; want %v", got, want)
			}
			if q.TotalCents < 0 || q.TaxCents < 0 {
				t.Errorf("negative amounts: %+v", q)
			}
		})
	}
}

// TestConfirmationMoney: the e-mail shows amounts as the shop does, in the
// order's currency's own units (issue 9: a ¥1,000 order was mailed as
// "10.00 JPY").
func TestConfirmationMoney(t *testing.T) {
	for _, tc := range []struct {
		currency    string
		total, want string
	}{
		{"JPY", "Total: ¥1,000", "10.00"},
		{"EUR", "Total: €10.00", "10.00 EUR"},
		{"KWD", "Total: 1.000 KWD", "10.00"},
	} {
		o := &Order{Number: "ABCD-EFGH", Currency: tc.currency, SubtotalCents: 1000, TotalCents: 1000, Email: "kim@example.com",
			Lines: []Line{{Quantity: 1, ProductName: "Bowl", LineTotalCents: 1000}}}
		m := (&Service{}).confirmation(o, ShippingMethod{Name: "Standard"})
		if !strings.Contains(m.Text, tc.total) || strings.Contains(m.Text, tc.want) {
			t.Errorf("%s confirmation: want %q and no %q in\n%s", tc.currency, tc.total, tc.want, m.Text)
		}
	}
}

func TestOrderNumbers(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	seen := map[string]bool{}
	for range 1000 {
		n := newNumber()
		if !re.MatchString(n) {
			t.Fatalf("number %q is not XXXX-XXXX in Crockford base32", n)
		}
		if seen[n] {
			t.Fatalf("number %q repeated within 1000", n)
		}
		seen[n] = true
		if got, ok := normalizeNumber(n); !ok || got != n {
			t.Fatalf("normalizeNumber(%q) = %q, %v", n, got, ok)
		}
	}
	for in, want := range map[string]string{"abcd-efgh": "ABCD-EFGH", "ABCDEFGH": "ABCD-EFGH", "o1il 2345": "0111-2345", "abcd-efg": "", "ABCD-EFGHJ": "", "ABCD-EFGU": "", "ÄBCD-EFGH": ""} {
		got, ok := normalizeNumber(in)
		if ok != (want != "") || got != want {
			t.Errorf("normalizeNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestDiscountApplies(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	five, zero := 5, 0
	tests := []struct {
		name  string
		d     Discount
		sub   int64
		code  fault.Code
		valid bool
	}{
		{"open", Discount{Active: true}, 100, "", true},
		{"inactive", Discount{}, 100, fault.Invalid, false},
		{"not yet", Discount{Active: true, StartsAt: &future}, 100, fault.Invalid, false},
		{"started", Discount{Active: true, StartsAt: &past, EndsAt: &future}, 100, "", true},
		{"expired", Discount{Active: true, EndsAt: &past}, 100, fault.Invalid, false},
		{"ends now", Discount{Active: true, EndsAt: &now}, 100, fault.Invalid, false},
		{"below minimum", Discount{Active: true, MinSubtotalCents: 5000}, 4999, fault.Invalid, false},
		{"at minimum", Discount{Active: true, MinSubtotalCents: 5000}, 5000, "", true},
		{"used up", Discount{Active: true, UsageLimit: &five, UsedCount: 5}, 100, fault.Conflict, false},
		{"uses left", Discount{Active: true, UsageLimit: &five, UsedCount: 4}, 100, "", true},
		{"limit zero", Discount{Active: true, UsageLimit: &zero}, 100, fault.Conflict, false},
	}
	for _, tt := range tests {
		err := tt.d.applies(tt.sub, "EUR", now)
		if (err == nil) != tt.valid || err != nil && (fault.CodeOf(err) != tt.code || fault.FieldOf(err) != "discount_code") {
			t.Errorf("%s: %v; want valid=%v code %s on discount_code", tt.name, err, tt.valid, tt.code)
		}
	}
}
