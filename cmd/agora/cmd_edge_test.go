package main

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"agora/internal/edge"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1GiB", 1 << 30, true},
		{"512MiB", 512 << 20, true},
		{"2 GB", 2e9, true},
		{"1000", 1000, true},
		{"64KiB", 64 << 10, true},
		{"0", 0, false},
		{"-1GiB", 0, false},
		{"lots", 0, false},
		{"99999999999TiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, errUsage) {
			t.Errorf("parseSize(%q): %v is not a usage error", tt.in, err)
		}
	}
}

func TestParseBackends(t *testing.T) {
	tests := []struct {
		in            string
		static, names int
		ok            bool
	}{
		{"http://a:8080", 1, 0, true},
		{"http://a:8080, http://b:8080,", 2, 0, true},
		{"dns://app.agora.svc:8080", 0, 1, true},
		{"dns+srv://_http._tcp.app.agora.svc", 0, 1, true},
		{"http://a:8080,dns://app.agora.svc:8080,dns+srv://_http._tcp.app", 1, 2, true},
		{"", 0, 0, false},
		{"a:8080", 0, 0, false},
		{"ftp://a", 0, 0, false},
		{"dns://app.agora.svc", 0, 0, false},
		{"http://a:8080,dns+srv://_http._tcp.app:80", 0, 0, false},
	}
	for _, tt := range tests {
		static, names, err := parseBackends(tt.in)
		if len(static) != tt.static || len(names) != tt.names || (err == nil) != tt.ok {
			t.Errorf("parseBackends(%q) = %v, %v, %v", tt.in, static, names, err)
		}
		if err != nil && !errors.Is(err, errUsage) {
			t.Errorf("parseBackends(%q): %v is not a usage error", tt.in, err)
		}
	}
}

func TestDNSFlags(t *testing.T) {
	for _, c := range []struct {
		server, want string
		interval     time.Duration
		ok           bool
	}{
		{"", "", time.Second, true},
		{"10.0.0.10", "10.0.0.10:53", time.Second, true},
		{"127.0.0.1:5353", "127.0.0.1:5353", time.Second, true},
		{"::1", "[::1]:53", time.Second, true},
		{"[::1]", "[::1]:53", time.Second, true},
		{"[::1]:5353", "[::1]:5353", time.Second, true},
		{"kube-dns.kube-system", "kube-dns.kube-system:53", time.Second, true},
		{":53", "", time.Second, false},
		{"", "", 0, false},
	} {
		f := dnsFlags{server: c.server, interval: c.interval}
		err := f.check()
		if (err == nil) != c.ok || (c.ok && f.server != c.want) {
			t.Errorf("--dns-server %q --dns-interval %s: %q, %v; want %q, ok %v", c.server, c.interval, f.server, err, c.want, c.ok)
		}
	}
}

func TestParseAllowedHosts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{" shop.example , www.shop.example ", []string{"shop.example", "www.shop.example"}, true},
		{"[::1]", []string{"[::1]"}, true},
		{"shop.example:8080", nil, false},
		{"https://shop.example", nil, false},
		{"shop.example/x", nil, false},
		{"user@shop.example", nil, false},
	} {
		got, err := parseAllowedHosts(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestPoolFlags(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1")
	for _, c := range []struct {
		policy, key string
		ok          bool
		hashes      string // what PickKey gives for GET http://shop.test/p?q=1 with X-Shopper: s1
	}{
		{"least-request", "url", true, ""},
		{"round-robin", "url", true, ""},
		{"hash", "url", true, "shop.test/p?q=1"},
		{"hash", "header:X-Shopper", true, "s1"},
		{"hash", "header:", false, ""},
		{"hash", "cookie", false, ""},
		{"random", "url", false, ""},
	} {
		f := poolFlags{policy: c.policy, hashKey: c.key, rise: 2, fall: 3}
		e := &edge.Edge{}
		p, err := f.build(e, []*url.URL{u})
		if (err == nil) != c.ok {
			t.Errorf("--policy %s --hash-key %s: %v, want ok %v", c.policy, c.key, err, c.ok)
			continue
		}
		if err != nil {
			continue
		}
		p.Close()
		got := ""
		if e.PickKey != nil {
			r := httptest.NewRequest("GET", "http://shop.test/p?q=1", nil)
			r.Header.Set("X-Shopper", "s1")
			got = e.PickKey(r)
		}
		if got != c.hashes {
			t.Errorf("--policy %s --hash-key %s: key %q, want %q", c.policy, c.key, got, c.hashes)
		}
	}
	if _, err := (&poolFlags{policy: "least-request", rise: 0, fall: 3}).build(&edge.Edge{}, nil); err == nil {
		t.Error("--rise 0 accepted")
	}
}
