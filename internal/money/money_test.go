package money_test

import (
	"errors"
	"math"
	"testing"

	"agora/internal/money"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{1250, "EUR", "€12.50"},
		{121250, "eur", "€1,212.50"},
		{5, "EUR", "€0.05"},
		{0, "EUR", "€0.00"},
		{-300, "USD", "-$3.00"},
		{725, "GBP", "£7.25"},
		{1000, "JPY", "¥1,000"}, // issue 9: not "¥10.00" or "10.00 JPY"
		{999, "JPY", "¥999"},
		{50000, "KRW", "50,000 KRW"},
		{1234500, "KWD", "1,234.500 KWD"},
		{5, "BHD", "0.005 BHD"},
		{1250, "CHF", "12.50 CHF"},
		{123456789, "XYZ", "1,234,567.89 XYZ"}, // unknown: two decimals
		{math.MinInt64, "EUR", "-€92,233,720,368,547,758.08"},
	} {
		if got := money.Format(tc.minor, tc.currency); got != tc.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestDecimalAndParseAgree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{121250, "EUR", "1212.50"},
		{7, "USD", "0.07"},
		{1000, "JPY", "1000"},
		{0, "JPY", "0"},
		{1500, "KWD", "1.500"},
		{-1250, "EUR", "-12.50"},
	} {
		got := money.Decimal(tc.minor, tc.currency)
		if got != tc.want {
			t.Errorf("Decimal(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
		if tc.minor < 0 {
			continue
		}
		if back, err := money.Parse(got, tc.currency); err != nil || back != tc.minor {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d", got, tc.currency, back, err, tc.minor)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, currency string
		want         int64
		err          error
	}{
		{"12.50", "EUR", 1250, nil},
		{"12.5", "EUR", 1250, nil},
		{"12", "EUR", 1200, nil},
		{".5", "EUR", 50, nil},
		{"0012.00", "EUR", 1200, nil},
		{"1000", "JPY", 1000, nil}, // a yen is the minor unit: not 100000
		{"1000.", "JPY", 1000, nil},
		{"1000.5", "JPY", 0, money.ErrPrecision},
		{"10.00", "JPY", 0, money.ErrPrecision},
		{"1.5", "KWD", 1500, nil},
		{"1.125", "KWD", 1125, nil},
		{"1.1255", "KWD", 0, money.ErrPrecision},
		{"12.505", "EUR", 0, money.ErrPrecision},
		{"", "EUR", 0, money.ErrSyntax},
		{".", "EUR", 0, money.ErrSyntax},
		{"-1", "EUR", 0, money.ErrSyntax},
		{"12,50", "EUR", 0, money.ErrSyntax},
		{"1 000", "EUR", 0, money.ErrSyntax},
		{"€12", "EUR", 0, money.ErrSyntax},
		{"1.2.3", "EUR", 0, money.ErrSyntax},
		{"10000000000", "EUR", 1_000_000_000_000, nil},
		{"10000000001", "EUR", 0, money.ErrRange},
		{"99999999999999999999999", "KWD", 0, money.ErrRange},
	} {
		got, err := money.Parse(tc.in, tc.currency)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d, %v", tc.in, tc.currency, got, err, tc.want, tc.err)
		}
	}
}

// TestGroupThousands: counts on pages are grouped as prices are.
func TestGroupThousands(t *testing.T) {
	for in, want := range map[string]string{"7": "7", "999": "999", "1000": "1,000", "34497": "34,497", "1234567": "1,234,567"} {
		if got := money.GroupThousands(in); got != want {
			t.Errorf("GroupThousands(%q) = %q, want %q", in, got, want)
		}
	}
}
