package admin

import (
	"testing"

	"agora/internal/fault"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"12.50", "EUR", 1250, true},
		{"12,5", "EUR", 1250, true},
		{"12", "EUR", 1200, true},
		{"€ 1 299,00", "EUR", 129900, true},
		{"0.07", "EUR", 7, true},
		{"12,5€€", "EUR", 0, false},
		{"1,299.00", "EUR", 0, false}, // two separators: refused rather than guessed
		{"12.345", "EUR", 0, false},
		{"-3", "EUR", 0, false},
		{"abc", "EUR", 0, false},
		{"", "EUR", 0, false},
		{"99999999999", "EUR", 0, false},
		{"1000", "JPY", 1000, true}, // yen are the minor unit (issue 9)
		{"¥ 1 000", "JPY", 1000, true},
		{"1000.50", "JPY", 0, false},
		{"1,5", "JPY", 0, false},
		{"1.25", "KWD", 1250, true},
		{"1.255", "KWD", 1255, true},
		{"1.2555", "KWD", 0, false},
	}
	for _, tc := range tests {
		got, err := parseAmount("price", "Price", tc.in, tc.currency)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d, ok %v", tc.in, tc.currency, got, err, tc.want, tc.ok)
		}
		if err != nil && fault.FieldOf(err) != "price" {
			t.Errorf("parseAmount(%q): error on field %q, want price", tc.in, fault.FieldOf(err))
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
