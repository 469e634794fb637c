package csvio

import (
	"strings"
	"testing"

	"agora/internal/money"
)

func TestParsePrice(t *testing.T) {
	cases := []struct {
		in    string
		cents int64
		err   string // a part of the message; "" for none
	}{
		{"12.50", 1250, ""},
		{"12.5", 1250, ""},
		{"12", 1200, ""},
		{"0.99", 99, ""},
		{"0", 0, ""},
		{".5", 50, ""},
		{"007.10", 710, ""},
		{"100000000.00", 100_000_000_00, ""},
		{"", 0, "required"},
		{"12,5€", 0, "currency sign"},
		{"$12.50", 0, "currency sign"},
		{"12,50", 0, "uses a comma"},
		{"1,234.50", 0, "thousands separator"},
		{"abc", 0, "not a number"},
		{"1e3", 0, "not a number"},
		{".", 0, "not a number"},
		{"12.50 EUR", 0, "not a number"},
		{"-3", 0, "cannot be negative"},
		{"1.999", 0, "more than two decimals"},
		{"100000000.01", 0, "too large"},
		{"99999999999999999999999", 0, "too large"},
	}
	for _, tc := range cases {
		got, err := parsePrice(tc.in, "EUR")
		switch {
		case tc.err == "" && (err != nil || got != tc.cents):
			t.Errorf("parsePrice(%q) = %d, %v; want %d", tc.in, got, err, tc.cents)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parsePrice(%q) error %v, want one saying %q", tc.in, err, tc.err)
		}
		if tc.err == "" {
			if back, err := parsePrice(money.Decimal(got, "EUR"), "EUR"); err != nil || back != got {
				t.Errorf("money.Decimal(%d) = %q does not read back", got, money.Decimal(got, "EUR"))
			}
		}
	}
}

func TestNeutralizeRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", "=1+1", "+33 6", "-X1", "@SUM(A1)", "\t=x", "'", "'plain", "'=x", "''=x", "''", "=", "'''-"} {
		n := neutralize(s)
		if isFormulaLike(n) && n[0] != '\'' {
			t.Errorf("neutralize(%q) = %q runs as a formula", s, n)
		}
		if back := unneutralize(n); back != s {
			t.Errorf("unneutralize(neutralize(%q)) = %q", s, back)
		}
	}
}
