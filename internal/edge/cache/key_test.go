package cache

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	t.Parallel()
	req := func(method, target string, h http.Header) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		for k, v := range h {
			r.Header[k] = v
		}
		return r
	}
	tests := []struct {
		name   string
		a, b   *http.Request
		vary   []string
		sameAs bool
	}{
		{"GET and HEAD share", req("GET", "http://Shop.example/p?x=1", nil), req("HEAD", "http://shop.example/p?x=1", nil), nil, true},
		{"POST apart", req("GET", "http://shop.example/p", nil), req("POST", "http://shop.example/p", nil), nil, false},
		{"host case and default port", req("GET", "http://SHOP.example:80/p", nil), req("GET", "http://shop.example/p", nil), nil, true},
		// httptest.NewRequest sets no TLS; an https target is what the
		// edge makes of a trusted TLS terminator's request.
		{"https apart from http", req("GET", "https://shop.example/p", nil), req("GET", "http://shop.example/p", nil), nil, false},
		{"other port apart", req("GET", "http://shop.example:8080/p", nil), req("GET", "http://shop.example/p", nil), nil, false},
		{"query sorted", req("GET", "http://h/p?b=2&a=1", nil), req("GET", "http://h/p?a=1&b=2", nil), nil, true},
		{"tracking removed", req("GET", "http://h/p?utm_source=x&a=1&gclid=1&fbclid=2&msclkid=3&mc_cid=4&mc_eid=5&UTM_Medium=y", nil), req("GET", "http://h/p?a=1", nil), nil, true},
		// The app reads a parameter's first value: the order of a name's
		// values is part of the page (issue 9, item 7).
		{"repeated name keeps its order", req("GET", "http://h/search?q=sofa&q=boot", nil), req("GET", "http://h/search?q=boot&q=sofa", nil), nil, false},
		{"names sorted around repeated values", req("GET", "http://h/search?b=2&q=sofa&a=1&q=boot", nil), req("GET", "http://h/search?a=1&q=sofa&b=2&q=boot", nil), nil, true},
		{"escaped name is the same name", req("GET", "http://h/search?%71=boot&q=sofa", nil), req("GET", "http://h/search?q=sofa&%71=boot", nil), nil, false},
		{"values matter", req("GET", "http://h/p?a=1", nil), req("GET", "http://h/p?a=2", nil), nil, false},
		{"path matters", req("GET", "http://h/p", nil), req("GET", "http://h/q", nil), nil, false},
		{"no query vs empty", req("GET", "http://h/p?", nil), req("GET", "http://h/p", nil), nil, true},
		{"accept-encoding normalized", req("GET", "http://h/p", http.Header{"Accept-Encoding": {"gzip, deflate, br"}}),
			req("GET", "http://h/p", http.Header{"Accept-Encoding": {"br;q=1.0, gzip;q=0.8"}}), []string{"Accept-Encoding"}, true},
		{"accept-encoding br vs gzip", req("GET", "http://h/p", http.Header{"Accept-Encoding": {"gzip"}}),
			req("GET", "http://h/p", http.Header{"Accept-Encoding": {"br"}}), []string{"Accept-Encoding"}, false},
		{"vary header value", req("GET", "http://h/p", http.Header{"Accept-Language": {"fr"}}),
			req("GET", "http://h/p", http.Header{"Accept-Language": {"de"}}), []string{"Accept-Language"}, false},
		{"unvaried header ignored", req("GET", "http://h/p", http.Header{"Accept-Language": {"fr"}, "Cookie": {"a=1"}}),
			req("GET", "http://h/p", http.Header{"Accept-Language": {"de"}}), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ka, kb := Key(tt.a, tt.vary), Key(tt.b, tt.vary)
			if (ka == kb) != tt.sameAs {
				t.Errorf("keys %q and %q: same = %v, want %v", ka, kb, ka == kb, tt.sameAs)
			}
		})
	}
}

func TestKeyTLSDefaultPort(t *testing.T) {
	t.Parallel()
	a := httptest.NewRequest("GET", "https://h:443/p", nil)
	a.TLS = &tls.ConnectionState{}
	b := httptest.NewRequest("GET", "https://h/p", nil)
	b.TLS = &tls.ConnectionState{}
	if Key(a, nil) != Key(b, nil) {
		t.Errorf("https :443 not removed: %q vs %q", Key(a, nil), Key(b, nil))
	}
}

func TestNormalizeAcceptEncoding(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                      "identity",
		"gzip":                  "gzip",
		"gzip, deflate, br":     "br",
		"br;q=0, gzip":          "gzip",
		"br;q=0.5, gzip;q=0.9":  "gzip",
		"*":                     "br",
		"*;q=0":                 "identity",
		"identity":              "identity",
		"x-gzip":                "gzip",
		"br;q=abc":              "br",
		"deflate, gzip;q=0":     "identity",
		" BR ; Q=0.1 , *;q=0.2": "gzip",
	}
	for in, want := range tests {
		if got := NormalizeAcceptEncoding(in); got != want {
			t.Errorf("NormalizeAcceptEncoding(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseVary(t *testing.T) {
	t.Parallel()
	names, star := ParseVary(http.Header{"Vary": {"accept-encoding, Accept-Language", "Accept-Encoding"}})
	if star || len(names) != 2 || names[0] != "Accept-Encoding" || names[1] != "Accept-Language" {
		t.Errorf("ParseVary = %v %v", names, star)
	}
	if _, star := ParseVary(http.Header{"Vary": {"Accept-Encoding, *"}}); !star {
		t.Error("Vary: * not detected")
	}
}

func FuzzKey(f *testing.F) {
	f.Add("Shop.example:80", "/p/%2F", "b=2&a=1&utm_x=3", "gzip, br;q=0")
	f.Add("", "", "&&=&%zz", "*;q=nan")
	f.Add("h", "/search", "q=sofa&q=boot&%71=x", "")
	f.Fuzz(func(t *testing.T, host, path, query, ae string) {
		r := &http.Request{Method: "GET", Host: host, Header: http.Header{"Accept-Encoding": {ae}}}
		r.URL = &url.URL{Path: path, RawQuery: query}
		k := Key(r, []string{"Accept-Encoding"})
		// Reordering the names, each keeping its values' order, keeps the key.
		parts := strings.Split(query, "&")
		slices.SortStableFunc(parts, func(a, b string) int { return strings.Compare(paramName(b), paramName(a)) })
		r.URL.RawQuery = strings.Join(parts, "&")
		if k2 := Key(r, []string{"Accept-Encoding"}); k2 != k {
			t.Fatalf("reordering names changed the key: %q vs %q", k, k2)
		}
		// Any order that keeps the key gives the app the same parameters.
		slices.Reverse(parts)
		r.URL.RawQuery = strings.Join(parts, "&")
		if k2 := Key(r, []string{"Accept-Encoding"}); k2 == k {
			a, _ := url.ParseQuery(query)
			b, _ := url.ParseQuery(r.URL.RawQuery)
			for name, vs := range a {
				if !slices.Equal(vs, b[name]) && !tracking(name) {
					t.Fatalf("%q and %q share a key but give %s %q and %q", query, r.URL.RawQuery, name, vs, b[name])
				}
			}
		}
		r.Method = "HEAD"
		r.URL.RawQuery = query
		if k2 := Key(r, []string{"Accept-Encoding"}); k2 != k {
			t.Fatalf("GET key %q != HEAD key %q", k, k2)
		}
		switch NormalizeAcceptEncoding(ae) {
		case "br", "gzip", "identity":
		default:
			t.Fatalf("NormalizeAcceptEncoding(%q) out of set", ae)
		}
	})
}

func TestWithoutTracking(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                    "",
		"q=sofa&q=boot":                       "q=sofa&q=boot",
		"utm_source=x&q=sofa&gclid=1&q=boot":  "q=sofa&q=boot",
		"UTM_Medium=y&%75tm_campaign=z&b=2&a": "b=2&a",
		"fbclid=1":                            "",
	} {
		if got := WithoutTracking(in); got != want {
			t.Errorf("WithoutTracking(%q) = %q, want %q", in, got, want)
		}
	}
}
