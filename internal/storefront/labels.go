package storefront

import (
	"time"

	"agora/internal/checkout"
)

// formatDate is the template func "date": "2 Mar 2025", in UTC like every
// stored time.
func formatDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// statusLabel is the template func "status": an order status in the
// shopper's words.
func statusLabel(s checkout.Status) string {
	switch s {
	case "pending_payment":
		return "Awaiting payment"
	case "paid":
		return "Paid"
	case "fulfilled":
		return "Shipped"
	case "cancelled":
		return "Cancelled"
	case "refunded":
		return "Refunded"
	}
	return string(s)
}

// countryNames names the countries shoppers pick most; any other shows as
// its ISO 3166-1 code, which customer.ValidateAddress already checked.
var countryNames = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "CA": "Canada", "CH": "Switzerland",
	"CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "ES": "Spain", "FI": "Finland",
	"FR": "France", "GB": "United Kingdom", "GR": "Greece", "HU": "Hungary", "IE": "Ireland",
	"IT": "Italy", "JP": "Japan", "LU": "Luxembourg", "NL": "Netherlands", "NO": "Norway",
	"NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden",
	"SI": "Slovenia", "SK": "Slovakia", "US": "United States",
}

// countryName is the template func "country".
func countryName(code string) string {
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}
