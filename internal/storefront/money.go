package storefront

import (
	"strconv"
	"strings"

	"agora/internal/catalog"
)

// currencySymbols are the currencies shown with a leading symbol; any other
// shows its ISO code after the amount ("12.50 CHF").
var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

// zeroDecimal are ISO 4217 currencies without minor units: their "cents"
// are whole units.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "ISK": true, "CLP": true, "VND": true}

// decimalAmount writes minor units as a plain decimal string, "12.50", as
// schema.org wants prices. Integer arithmetic only: money is never a float.
func decimalAmount(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	if zeroDecimal[strings.ToUpper(currency)] {
		return sign + strconv.FormatInt(cents, 10)
	}
	frac := cents % 100
	s := sign + strconv.FormatInt(cents/100, 10) + "."
	if frac < 10 {
		s += "0"
	}
	return s + strconv.FormatInt(frac, 10)
}

// formatMoney is the template func "money": "€12.50", "$3.00", "£7.25",
// "12.50 CHF".
func formatMoney(cents int64, currency string) string {
	currency = strings.ToUpper(currency)
	amount := decimalAmount(cents, currency)
	if sym, ok := currencySymbols[currency]; ok {
		if strings.HasPrefix(amount, "-") {
			return "-" + sym + amount[1:]
		}
		return sym + amount
	}
	return amount + " " + currency
}

// formatOptions is the template func "options": "Size: M · Colour: Red".
func formatOptions(opts []catalog.Option) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		parts = append(parts, o.Name+": "+o.Value)
	}
	return strings.Join(parts, " · ")
}
