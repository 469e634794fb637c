package csvio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// maxPriceCents bounds prices far above any real one, so a stray digit
// ("1299000000") is caught and cents never overflow.
const maxPriceCents = 100_000_000_00 // 100 million

// parsePrice reads a decimal price with a dot and at most two decimals
// ("12", "12.5", "12.50") into cents. Its errors are messages for the
// merchant, written for the mistakes spreadsheets make: decimal commas,
// currency signs, thousands separators.
func parsePrice(s string) (int64, error) {
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
	whole, frac, hasDot := strings.Cut(s, ".")
	switch {
	case strings.Contains(s, ",") && !hasDot:
		return 0, fmt.Errorf("The price %q uses a comma: write it with a dot, like 12.50.", s)
	case strings.Contains(s, ","):
		return 0, fmt.Errorf("The price %q has a thousands separator: write it without one, like 1234.50.", s)
	case !allDigits(whole) || (hasDot && !allDigits(frac)) || (whole == "" && frac == ""):
		return 0, fmt.Errorf("The price %q is not a number: write it like 12.50.", s)
	case len(frac) > 2:
		return 0, fmt.Errorf("The price %q has more than two decimals.", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	cents, err := strconv.ParseInt(strings.TrimLeft(whole, "0")+frac, 10, 64)
	if err != nil || cents > maxPriceCents { // only digits reach here: a range error

		return 0, fmt.Errorf("The price %q is too large: at most %s.", s, formatPrice(maxPriceCents))
	}
	return cents, nil
}

// formatPrice writes cents as parsePrice reads them: "12.50".
func formatPrice(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
