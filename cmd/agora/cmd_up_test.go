package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestPoPListens: agora up --edges N puts PoPs 2..N on the ports after
// --listen's, passing over the admin API's (8081 by default), and refuses
// what it cannot serve with one clear line.
func TestPoPListens(t *testing.T) {
	tests := []struct {
		name    string
		f       upFlags
		want    []string
		refused string // part of the error; "" when accepted
	}{
		{"one PoP", upFlags{edges: 1, listen: ":8080", adminListen: "127.0.0.1:8081"}, nil, ""},
		{"defaults pass over the admin port", upFlags{edges: 3, listen: ":8080", adminListen: "127.0.0.1:8081"}, []string{":8082", ":8083"}, ""},
		{"no admin API", upFlags{edges: 3, listen: "127.0.0.1:9000"}, []string{"127.0.0.1:9001", "127.0.0.1:9002"}, ""},
		{"port 0: free ports", upFlags{edges: 3, listen: "127.0.0.1:0", adminListen: "127.0.0.1:0"}, []string{"127.0.0.1:0", "127.0.0.1:0"}, ""},
		{"zero", upFlags{edges: 0, listen: ":8080"}, nil, "--edges must be between 1 and 64"},
		{"too many", upFlags{edges: 65, listen: ":8080"}, nil, "--edges must be between 1 and 64"},
		{"a shield of nobody", upFlags{edges: 1, shield: true, listen: ":8080"}, nil, "--shield makes PoP 1 the shield of the others: give --edges 2 or more"},
		{"shielded PoPs", upFlags{edges: 2, shield: true, listen: ":8080"}, []string{":8081"}, ""},
		{"past the last port", upFlags{edges: 3, listen: ":65534"}, nil, "run past 65535"},
		{"named port", upFlags{edges: 2, listen: ":http"}, nil, "needs --listen with a port number"},
		{"TLS", upFlags{edges: 2, listen: ":8443", tls: tlsFlags{cert: "c.pem", key: "k.pem"}}, nil, "cannot be combined with --tls-cert"},
		{"ACME", upFlags{edges: 2, listen: ":443", acme: acmeFlags{domains: "shop.example"}}, nil, "cannot be combined with --tls-cert, --acme-domains or --http-listen"},
	}
	for _, tt := range tests {
		got, err := tt.f.popListens()
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.refused == "" && !slices.Equal(got, tt.want):
			t.Errorf("%s: PoPs 2.. on %q, want %q", tt.name, got, tt.want)
		case tt.refused != "" && (err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%s: %v (%q), want a usage error saying %q", tt.name, err, got, tt.refused)
		}
	}
}
