package admin

import (
	"testing"

	"agora/internal/fault"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.50", 1250, true},
		{"12,5", 1250, true},
		{"12", 1200, true},
		{"€ 1 299,00", 129900, true},
		{"0.07", 7, true},
		{"12,5€€", 0, false},
		{"1,299.00", 0, false}, // two separators: refused rather than guessed
		{"12.345", 0, false},
		{"-3", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{"99999999999", 0, false},
	}
	for _, tc := range tests {
		got, err := parseAmount("price", "Price", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && fault.FieldOf(err) != "price" {
			t.Errorf("parseAmount(%q): error on field %q, want price", tc.in, fault.FieldOf(err))
		}
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		cents    int64
		currency string
		want     string
	}{
		{1250, "EUR", "€12.50"},
		{505750, "eur", "€5,057.50"},
		{123456789, "USD", "$1,234,567.89"},
		{-99, "GBP", "-£0.99"},
		{700, "CHF", "7.00 CHF"},
	}
	for _, tc := range tests {
		if got := formatMoney(tc.cents, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", tc.cents, tc.currency, got, tc.want)
		}
	}
}

func TestTaxRates(t *testing.T) {
	rates, err := parseRates("DE 19\n\nch: 8.1 %\nFR 20")
	if err != nil || rates["DE"] != 1900 || rates["CH"] != 810 || rates["FR"] != 2000 {
		t.Fatalf("parseRates = %v, %v", rates, err)
	}
	if got := formatRates(rates); got != "CH 8.1\nDE 19\nFR 20\n" {
		t.Errorf("formatRates = %q", got)
	}
	for _, bad := range []string{"DE", "DEU 19", "DE 101", "DE 19\nDE 7"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("parseRates(%q) accepted", bad)
		}
	}
}
