package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agora/internal/edge/acme"
)

// TestACMEFlags: each mistake gets a usage error that says what to do.
func TestACMEFlags(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	le := acme.LetsEncryptProduction
	for _, c := range []struct {
		name    string
		f       acmeFlags
		tlsCert string
		secret  bool
		want    string // in the error; "" for none
	}{
		{"off", acmeFlags{ca: le}, "", false, ""},
		{"two names", acmeFlags{domains: "shop.example, www.shop.example", email: "ops@shop.example", ca: le}, "", true, ""},
		{"shared directory, no secret", acmeFlags{domains: "shop.example", email: "ops@shop.example", ca: le, storageDir: "/mnt/acme"}, "", false, ""},
		{"staging", acmeFlags{domains: "shop.example", email: "ops@shop.example", ca: acme.LetsEncryptStaging}, "", true, ""},
		{"with --tls-cert", acmeFlags{domains: "shop.example", email: "ops@shop.example", ca: le}, "shop.pem", true, "choose one"},
		{"no email", acmeFlags{domains: "shop.example", ca: le}, "", true, "needs --acme-email"},
		{"an IPv4 address", acmeFlags{domains: "shop.example,203.0.113.7", email: "o@shop.example", ca: le}, "", true, "is an IP address"},
		{"an IPv6 address", acmeFlags{domains: "[2001:db8::1]", email: "o@shop.example", ca: le}, "", true, "is an IP address"},
		{"a wildcard", acmeFlags{domains: "*.shop.example", email: "o@shop.example", ca: le}, "", true, "DNS-01"},
		{"a URL", acmeFlags{domains: "https://shop.example", email: "o@shop.example", ca: le}, "", true, "not a domain name"},
		{"no storage", acmeFlags{domains: "shop.example", email: "o@shop.example", ca: le}, "", false, "--cluster-secret"},
		{"plain-HTTP CA", acmeFlags{domains: "shop.example", email: "o@shop.example", ca: "http://ca.example/dir"}, "", true, "https://"},
		{"unreadable root", acmeFlags{domains: "shop.example", email: "o@shop.example", ca: le, caRoot: "/nonexistent.pem"}, "", true, "--acme-ca-root"},
		{"root not PEM", acmeFlags{domains: "shop.example", email: "o@shop.example", ca: le, caRoot: notPEM}, "", true, "no PEM certificate"},
		{"email without domains", acmeFlags{email: "o@shop.example", ca: le}, "", true, "need --acme-domains"},
	} {
		s, err := c.f.check(c.tlsCert, c.secret)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errUsage)):
			t.Errorf("%s: %v, want a usage error saying %q", c.name, err, c.want)
		case c.want == "" && (s == nil) != (c.f.domains == ""):
			t.Errorf("%s: setup %v; want one exactly when --acme-domains is given", c.name, s)
		}
	}
}
