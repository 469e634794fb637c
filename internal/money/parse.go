package money

import (
	"errors"
	"strings"
)

// The errors of Parse, for callers to word for their readers.
var (
	ErrSyntax    = errors.New("money: not a decimal number")
	ErrPrecision = errors.New("money: more decimals than the currency has")
	ErrRange     = errors.New("money: amount too large")
)

// MaxMajor bounds a parsed amount in major units (10 billion): far above
// any price, and far from overflowing int64 in any currency's minor units.
const MaxMajor = 10_000_000_000

// Parse reads a plain non-negative decimal in major units with a dot and
// at most the currency's decimals ("12", "12.5", "12.50" EUR; "1000" JPY;
// "1.5" KWD) into minor units. It is Decimal's inverse and accepts nothing
// else: no sign, no separators, no symbol. Front ends that accept what
// people type (a decimal comma, spaces) normalize it first.
func Parse(s, currency string) (int64, error) {
	return ParseExp(s, Exponent(currency))
}

// ParseExp is Parse with exp decimals, for amounts that are not money but
// are written like it (percentages with two decimals).
func ParseExp(s string, exp int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if !digits(whole) || !digits(frac) || (whole == "" && frac == "") {
		return 0, ErrSyntax
	}
	if len(frac) > exp {
		return 0, ErrPrecision
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > len("10000000000") {
		return 0, ErrRange
	}
	var n int64
	for _, c := range whole + frac + strings.Repeat("0", exp-len(frac)) {
		n = n*10 + int64(c-'0')
	}
	if n > MaxMajor*Scale(exp) {
		return 0, ErrRange
	}
	return n, nil
}

// Scale is how many minor units make one major unit in a currency with exp
// decimals (10^exp): callers bound amounts in major units with it.
func Scale(exp int) int64 {
	n := int64(1)
	for range exp {
		n *= 10
	}
	return n
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
