package admin

import (
	"strconv"
	"strings"
	"time"

	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/fault"
)

// currencySymbols are shown before the amount; other currencies after it.
var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

// formatAmount is the template func "amount": minor units as the plain
// decimal a price input holds, "12.50". Integer arithmetic only.
func formatAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(cents%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(cents/100, 10) + "." + frac
}

// formatMoney is the template func "money": "€1,212.50", "12.50 CHF".
func formatMoney(cents int64, currency string) string {
	currency = strings.ToUpper(currency)
	a := groupThousands(formatAmount(cents))
	if sym, ok := currencySymbols[currency]; ok {
		if strings.HasPrefix(a, "-") {
			return "-" + sym + a[1:]
		}
		return sym + a
	}
	return a + " " + currency
}

// groupThousands puts commas between groups of three digits of a decimal
// amount's whole part: money is read at a glance ("1,212.50"); inputs keep
// the plain form (formatAmount) so they parse back.
func groupThousands(a string) string {
	sign := ""
	if strings.HasPrefix(a, "-") {
		sign, a = "-", a[1:]
	}
	whole, frac, _ := strings.Cut(a, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "." + frac
}

// maxAmount bounds typed amounts (10 million in major units): enough for
// any price, and far from int64 overflow.
const maxAmount = 10_000_000_00

// parseAmount reads a typed price such as "12.50", "12,5", "1 299" or
// "€12.50" into minor units. A comma is read as the decimal mark when it is
// the only separator (how most European merchants type prices); thousands
// separators other than spaces are refused rather than guessed. The error
// is a field message for field.
func parseAmount(field, label, s string) (int64, error) {
	bad := fault.Field(field, "%s: enter an amount such as 12.50.", label)
	s = strings.TrimSpace(s)
	for _, sym := range []string{"€", "$", "£"} {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(s, sym), sym))
	}
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0, fault.Field(field, "%s is required.", label)
	}
	if strings.HasPrefix(s, "-") {
		return 0, fault.Field(field, "%s cannot be negative.", label)
	}
	if strings.Count(s, ".")+strings.Count(s, ",") > 1 {
		return 0, bad
	}
	s = strings.Replace(s, ",", ".", 1)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || !digits(whole) || !digits(frac) || len(whole) > 10 {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	cents := w*100 + f
	if cents > maxAmount {
		return 0, fault.Field(field, "%s is too large.", label)
	}
	return cents, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCount reads a typed whole number ≥ 0 (stock, usage limits).
func parseCount(field, label, s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fault.Field(field, "%s is required.", label)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000_000 {
		return 0, fault.Field(field, "%s must be a whole number from 0 up.", label)
	}
	return n, nil
}

// parseBasisPoints reads a typed percentage such as "19", "8.1" or "5,5"
// into basis points (1900, 810, 550).
func parseBasisPoints(field, label, s string) (int, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	cents, err := parseAmount(field, label, s)
	if err != nil || cents > 10000 {
		return 0, fault.Field(field, "%s: enter a percentage from 0 to 100, such as 19 or 8.1.", label)
	}
	return int(cents), nil
}

// formatBasisPoints is the template func "percent": 1900 → "19", 810 → "8.1".
func formatBasisPoints(bp int) string {
	s := formatAmount(int64(bp))
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// formatOptions is the template func "options": "Size: M; Colour: Red",
// the form parseOptions reads back.
func formatOptions(opts []catalog.Option) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		parts = append(parts, o.Name+": "+o.Value)
	}
	return strings.Join(parts, "; ")
}

// parseOptions reads "Size: M; Colour: Red" (or one option a line).
func parseOptions(field, s string) ([]catalog.Option, error) {
	out := []catalog.Option{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" || len(name) > 50 || len(value) > 100 {
			return nil, fault.Field(field, "Write options as name: value, separated by semicolons, such as Size: M; Colour: Red.")
		}
		out = append(out, catalog.Option{Name: name, Value: value})
	}
	return out, nil
}

// formatDate is the template func "date": "2 Mar 2025", in UTC like every
// stored time.
func formatDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// formatDateTime is the template func "datetime": "2 Mar 2025 14:05 UTC".
func formatDateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// formatShort is the template func "short": "27 Nov 14:05" (UTC), for the
// dashboard's recent orders, which are from this week.
func formatShort(t time.Time) string { return t.UTC().Format("2 Jan 15:04") }

// statusLabel is the template func "status": an order status as staff
// read it.
func statusLabel(s checkout.Status) string {
	switch s {
	case checkout.StatusPendingPayment:
		return "Awaiting payment"
	case checkout.StatusPaid:
		return "Paid"
	case checkout.StatusFulfilled:
		return "Fulfilled"
	case checkout.StatusCancelled:
		return "Cancelled"
	case checkout.StatusRefunded:
		return "Refunded"
	}
	return string(s)
}

// countryNames names common destinations; others show their ISO code.
var countryNames = map[string]string{
	"AT": "Austria", "BE": "Belgium", "CA": "Canada", "CH": "Switzerland", "DE": "Germany",
	"DK": "Denmark", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
	"IE": "Ireland", "IT": "Italy", "LU": "Luxembourg", "NL": "Netherlands", "NO": "Norway",
	"PL": "Poland", "PT": "Portugal", "SE": "Sweden", "US": "United States", "CZ": "Czechia",
}

// countryName is the template func "country": "Germany (DE)".
func countryName(code string) string {
	if n, ok := countryNames[code]; ok {
		return n + " (" + code + ")"
	}
	return code
}

func itoa(n int) string { return strconv.Itoa(n) }
