package main

import (
	"errors"
	"strings"
	"testing"
)

// TestTLSFlagsHTTP3: --http3 runs over TLS, from files or ACME; alone it
// is a usage error that says what it needs.
func TestTLSFlagsHTTP3(t *testing.T) {
	for _, c := range []struct {
		name string
		f    tlsFlags
		acme bool
		want string // in the error; "" for none
	}{
		{"with files", tlsFlags{cert: "c.pem", key: "k.pem", hsts: "off", http3: true}, false, ""},
		{"with ACME", tlsFlags{hsts: "off", http3: true}, true, ""},
		{"without TLS", tlsFlags{hsts: "off", http3: true}, false, "--http3 runs over TLS"},
	} {
		err := c.f.check(c.acme)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errUsage)):
			t.Errorf("%s: %v, want a usage error saying %q", c.name, err, c.want)
		}
	}
}
