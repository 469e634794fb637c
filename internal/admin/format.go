package admin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/money"
)

// maxMajor bounds typed amounts (10 million in major units): enough for
// any price or threshold, so a stray digit is caught.
const maxMajor = 10_000_000

// parseAmount reads a typed amount of currency such as "12.50", "12,5",
// "1 299" or "€12.50" ("1000" yen, "1.250" dinars) into minor units, the
// way money.Decimal writes them back. A comma is read as the decimal mark
// when it is the only separator (how most European merchants type prices);
// thousands separators other than spaces are refused rather than guessed,
// and so are more decimals than the currency has. The error is a field
// message for field.
func parseAmount(field, label, s, currency string) (int64, error) {
	return parseDecimal(field, label, s, money.Exponent(currency))
}

// parseDecimal is parseAmount with exp decimals.
func parseDecimal(field, label, s string, exp int) (int64, error) {
	example := map[int]string{0: "1250", 3: "12.500"}[exp]
	if example == "" {
		example = "12.50"
	}
	s = money.TrimSymbol(s)
	s = strings.ReplaceAll(s, " ", "")
	switch {
	case s == "":
		return 0, fault.Field(field, "%s is required.", label)
	case strings.HasPrefix(s, "-"):
		return 0, fault.Field(field, "%s cannot be negative.", label)
	case strings.Count(s, ".")+strings.Count(s, ",") > 1:
		return 0, fault.Field(field, "%s: enter an amount such as %s.", label, example)
	}
	n, err := money.ParseExp(strings.Replace(s, ",", ".", 1), exp)
	switch {
	case errors.Is(err, money.ErrPrecision) && exp == 0:
		return 0, fault.Field(field, "%s: this currency has no decimals; enter a whole amount such as %s.", label, example)
	case errors.Is(err, money.ErrPrecision):
		return 0, fault.Field(field, "%s: at most %d decimals, such as %s.", label, exp, example)
	case errors.Is(err, money.ErrRange), err == nil && n > maxMajor*money.Scale(exp):
		return 0, fault.Field(field, "%s is too large.", label)
	case err != nil:
		return 0, fault.Field(field, "%s: enter an amount such as %s.", label, example)
	}
	return n, nil
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
	cents, err := parseDecimal(field, label, s, 2)
	if err != nil || cents > 10000 {
		return 0, fault.Field(field, "%s: enter a percentage from 0 to 100, such as 19 or 8.1.", label)
	}
	return int(cents), nil
}

// formatBasisPoints is the template func "percent": 1900 → "19", 810 → "8.1".
func formatBasisPoints(bp int) string {
	s := strings.TrimRight(fmt.Sprintf("%d.%02d", bp/100, bp%100), "0")
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

// parseAttributes reads the product form's attributes: one "Name: Value"
// a line, split at the first colon (a value may hold more), blank lines
// skipped. The catalog checks the rest (CleanAttributes).
func parseAttributes(field, s string) ([]catalog.Option, error) {
	out := []catalog.Option{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line) // and the \r of a browser's \r\n
		if line == "" {
			continue
		}
		a, ok := catalog.ParseAttributeText(line)
		if !ok {
			return nil, fault.Field(field, "Line %d (%.40q) is not Name: Value. Write one attribute a line, such as Material: Cotton.", i+1, line)
		}
		out = append(out, a)
	}
	return out, nil
}

// formatAttributes is parseAttributes' input for attrs.
func formatAttributes(attrs []catalog.Option) string {
	lines := make([]string, len(attrs))
	for i, a := range attrs {
		lines[i] = catalog.AttributeText(a)
	}
	return strings.Join(lines, "\n")
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

// countryName is the template func "country": "Germany (DE)", staff
// seeing the code they type in the settings too.
func countryName(code string) string {
	if customer.IsCountry(code) {
		return customer.CountryName(code) + " (" + code + ")"
	}
	return code
}

func itoa(n int) string { return strconv.Itoa(n) }
