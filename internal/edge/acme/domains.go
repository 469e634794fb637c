package acme

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseDomains reads a comma-separated list such as
// "shop.example,www.shop.example" and checks it (CheckDomains).
func ParseDomains(s string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(s, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out, CheckDomains(out)
}

// CheckDomains refuses what a public ACME CA will not certify through the
// HTTP-01 and TLS-ALPN-01 challenges: IP addresses, wildcards (those need
// DNS-01), and names that are no host names.
func CheckDomains(domains []string) error {
	if len(domains) == 0 {
		return fmt.Errorf("acme: no domain to get a certificate for")
	}
	for _, d := range domains {
		h := strings.Trim(d, "[]")
		switch {
		case netipOK(h):
			return fmt.Errorf("acme: %q is an IP address: ACME certificates here are for domain names (use --tls-cert for an address)", d)
		case strings.Contains(d, "*"):
			return fmt.Errorf("acme: %q is a wildcard: it needs the DNS-01 challenge, which the edge does not solve; list the names", d)
		case !hostName(d):
			return fmt.Errorf("acme: %q is not a domain name such as shop.example (no scheme, port or path)", d)
		}
	}
	return nil
}

func netipOK(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// hostName says s is dot-separated labels of letters, digits and hyphens,
// with at least one dot (a CA certifies no single-label name).
func hostName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
