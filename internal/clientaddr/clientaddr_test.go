package clientaddr

import (
	"net/http/httptest"
	"testing"
)

func TestOf(t *testing.T) {
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.7:5000", nil, "203.0.113.7"},
		{"203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"}, // a client cannot claim another address
		{"127.0.0.1:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"127.0.0.1:5000", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"}, // only the proxy's own entry counts
		{"10.0.0.5:5000", []string{"6.6.6.6", "198.51.100.9"}, "198.51.100.9"},
		{"127.0.0.1:5000", []string{"garbage"}, "127.0.0.1"},
		{"127.0.0.1:5000", nil, "127.0.0.1"},
		{"[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := Of(r); got != c.want {
			t.Errorf("Of(%s, %v) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
