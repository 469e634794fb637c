// Package money writes and reads amounts of money: integer minor units of
// an ISO 4217 currency, never floats. It is the one place that knows how
// many minor units each currency has and how amounts are shown, so the
// storefront, the admin, the e-mails and the CSV files agree (issue 9: the
// shop showed a JPY price as yen while the e-mail showed it as hundredths).
//
// It holds no prices and no rounding rules: checkout owns those.
package money

import (
	"strconv"
	"strings"
)

// exponents are the ISO 4217 currencies whose minor unit is not a
// hundredth: how many decimals an amount in them has. Any other currency
// has two.
var exponents = map[string]int{
	// No minor unit.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// Thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Ten-thousandths (units of account).
	"CLF": 4, "UYW": 4,
}

// symbols are the currencies shown with a leading symbol, one a shopper
// reads without doubt; any other is shown with its code after the amount
// ("12.50 CHF"). "¥" is the yen only: the yuan's is written CNY.
var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

// TrimSymbol removes one leading or trailing currency symbol that Format
// writes (and the spaces around it) from a typed amount, so a merchant may
// type back what the shop shows.
func TrimSymbol(s string) string {
	s = strings.TrimSpace(s)
	for _, sym := range symbols {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(s, sym), sym))
	}
	return s
}

// Exponent is how many decimals an amount in currency has: 0 for JPY, 3
// for KWD, 2 for EUR and for any currency it does not know.
func Exponent(currency string) int {
	if e, ok := exponents[strings.ToUpper(currency)]; ok {
		return e
	}
	return 2
}

// Decimal writes minor units as a plain decimal in major units with a dot
// and exactly the currency's decimals: "1212.50" EUR, "1000" JPY, "1.500"
// KWD. Machines read it (schema.org prices, CSV files, form inputs), and
// Parse reads it back.
func Decimal(minor int64, currency string) string {
	return decimal(minor, Exponent(currency), false)
}

// Format writes minor units for people: "€1,212.50", "-$3.00", "¥1,000",
// "1,234.500 KWD", "12.50 CHF".
func Format(minor int64, currency string) string {
	currency = strings.ToUpper(currency)
	a := decimal(minor, Exponent(currency), true)
	if sym, ok := symbols[currency]; ok {
		if rest, neg := strings.CutPrefix(a, "-"); neg {
			return "-" + sym + rest
		}
		return sym + a
	}
	return a + " " + currency
}

// decimal writes minor with exp decimals, grouping the whole part's
// thousands with commas when group is set.
func decimal(minor int64, exp int, group bool) string {
	u := uint64(minor)
	sign := ""
	if minor < 0 {
		sign, u = "-", -u // two's complement: right for math.MinInt64 too
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	whole, frac := s[:len(s)-exp], s[len(s)-exp:]
	if group {
		whole = GroupThousands(whole)
	}
	if exp == 0 {
		return sign + whole
	}
	return sign + whole + "." + frac
}

// GroupThousands puts a comma between each group of three digits of a
// string of digits, as prices are written: "34497" → "34,497". Pages use it
// for counts too.
func GroupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}
