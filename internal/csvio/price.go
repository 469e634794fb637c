package csvio

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"agora/internal/money"
)

// maxPrice bounds prices in major units far above any real one, so a stray
// digit ("1299000000") is caught.
const maxPrice = 100_000_000 // 100 million

// parsePrice reads a decimal price in currency's major units with a dot
// and at most the currency's decimals ("12", "12.5", "12.50" EUR; "1000"
// JPY; "1.250" KWD) into minor units, as money.Decimal writes them. Its
// errors are messages for the merchant, written for the mistakes
// spreadsheets make: decimal commas, currency signs, thousands separators.
func parsePrice(s, currency string) (int64, error) {
	if s == "" {
		return 0, errors.New("The price is required, like 12.50.")
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("The price %q cannot be negative.", s)
	}
	for _, r := range s {
		if unicode.Is(unicode.Sc, r) { // €, $, £…
			return 0, fmt.Errorf("The price %q has a currency sign: write the number alone, like 12.50, and the currency in the currency column.", s)
		}
	}
	_, _, hasDot := strings.Cut(s, ".")
	switch {
	case strings.Contains(s, ",") && !hasDot:
		return 0, fmt.Errorf("The price %q uses a comma: write it with a dot, like 12.50.", s)
	case strings.Contains(s, ","):
		return 0, fmt.Errorf("The price %q has a thousands separator: write it without one, like 1234.50.", s)
	}
	exp := money.Exponent(currency)
	minor, err := money.Parse(s, currency)
	switch {
	case errors.Is(err, money.ErrPrecision) && exp == 0:
		return 0, fmt.Errorf("The price %q has decimals, and %s has none: write whole units, like 1250.", s, currency)
	case errors.Is(err, money.ErrPrecision):
		return 0, fmt.Errorf("The price %q has more than %s decimals, the most %s has.", s, [...]string{"", "one", "two", "three", "four"}[exp], currency)
	case errors.Is(err, money.ErrRange), err == nil && minor > maxPrice*money.Scale(exp):
		return 0, fmt.Errorf("The price %q is too large: at most %d.", s, maxPrice)
	case err != nil:
		return 0, fmt.Errorf("The price %q is not a number: write it like 12.50.", s)
	}
	return minor, nil
}
