package clientaddr

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestJudge(t *testing.T) {
	trusted := MustParse("loopback, 10.0.0.0/8")
	cases := []struct {
		name      string
		remote    string
		tls       bool
		xff       []string
		proto     string
		wantAddr  string
		wantHTTPS bool
		wantKept  bool // forwarding headers left for the handler
	}{
		{"direct client", "203.0.113.7:5000", false, nil, "", "203.0.113.7", false, false},
		{"untrusted client claims another address", "203.0.113.7:5000", false, []string{"1.2.3.4"}, "https", "203.0.113.7", false, false},
		{"untrusted client over TLS", "203.0.113.7:5000", true, nil, "http", "203.0.113.7", true, false},
		{"trusted proxy", "127.0.0.1:5000", false, []string{"198.51.100.9"}, "https", "198.51.100.9", true, true},
		{"client's own claim before the proxy's entry", "127.0.0.1:5000", false, []string{"6.6.6.6, 198.51.100.9"}, "", "198.51.100.9", false, true},
		{"two trusted hops", "10.0.0.5:5000", false, []string{"6.6.6.6", "198.51.100.9, 10.0.0.9"}, "https", "198.51.100.9", true, true},
		{"garbage stops the walk", "127.0.0.1:5000", false, []string{"garbage"}, "", "127.0.0.1", false, true},
		{"no header", "127.0.0.1:5000", false, nil, "", "127.0.0.1", false, true},
		{"IPv6", "[::1]:5000", false, []string{"2001:db8::1"}, "", "2001:db8::1", false, true},
		{"IPv4-mapped peer", "[::ffff:203.0.113.7]:5000", false, nil, "", "203.0.113.7", false, false},
		{"private but not listed", "192.168.1.4:5000", false, []string{"1.2.3.4"}, "https", "192.168.1.4", false, false},
		{"nearest proxy's proto wins", "127.0.0.1:5000", false, nil, "https, http", "127.0.0.1", false, true},
		{"unparsable peer", "nonsense", false, []string{"1.2.3.4"}, "https", "0.0.0.0", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if c.proto != "" {
				r.Header.Set("X-Forwarded-Proto", c.proto)
			}
			r.Header.Set("X-Forwarded-Host", "evil.example")
			var got *http.Request
			trusted.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r })).
				ServeHTTP(httptest.NewRecorder(), r)
			if a := Of(got); a != c.wantAddr {
				t.Errorf("Of = %s, want %s", a, c.wantAddr)
			}
			if h := HTTPS(got); h != c.wantHTTPS {
				t.Errorf("HTTPS = %v, want %v", h, c.wantHTTPS)
			}
			if kept := got.Header.Get("X-Forwarded-Host") != ""; kept != c.wantKept {
				t.Errorf("forwarding headers kept = %v, want %v", kept, c.wantKept)
			}
		})
	}
}

func TestWithoutMiddlewareNothingIsTrusted(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	r.Header.Set("X-Forwarded-Proto", "https")
	if Of(r) != "127.0.0.1" || HTTPS(r) {
		t.Errorf("Of = %s, HTTPS = %v: headers believed without a trust list", Of(r), HTTPS(r))
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		spec    string
		want    string
		wantErr bool
	}{
		{"", "none", false},
		{"none", "none", false},
		{"loopback", "127.0.0.0/8,::1/128", false},
		{" 10.1.2.3 , 2001:db8::/32", "10.1.2.3/32,2001:db8::/32", false},
		{"10.1.2.3/8", "10.0.0.0/8", false},
		{"::ffff:10.0.0.1", "10.0.0.1/32", false},
		{"example.com", "", true},
		{"10.0.0.0/99", "", true},
	}
	for _, c := range cases {
		got, err := Parse(c.spec)
		if (err != nil) != c.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", c.spec, err, c.wantErr)
			continue
		}
		if err == nil && got.String() != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.spec, got, c.want)
		}
	}
}
