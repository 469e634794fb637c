package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAssetPaths(t *testing.T) {
	css := []byte(strings.Repeat("body { color: red; }\n", 50))
	sum := sha256.Sum256(css)
	a, err := NewAssets(fstest.MapFS{
		"app.css":      {Data: css},
		"img/logo.svg": {Data: []byte("<svg/>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{"app.css", "/static/app." + hex.EncodeToString(sum[:])[:10] + ".css"},
		{"img/logo.svg", "/static/img/logo."}, // the hash follows
		{"missing.js", "/static/missing.js"},  // answers 404, visibly
	}
	for _, tc := range tests {
		if got := a.Path(tc.name); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Path(%q) = %q, want %q…", tc.name, got, tc.want)
		}
	}

	srv := httptest.NewServer(a)
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", a.Path("app.css"), 200},
		{"HEAD", a.Path("app.css"), 200},
		{"GET", a.Path("img/logo.svg"), 200},
		{"POST", a.Path("app.css"), 405},
		{"GET", "/static/app.css", 404},
		{"GET", "/static/app.abcdef0123.css", 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"br, gzip, deflate", true},
		{"GZIP;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"identity", false},
		{"*", true},
		{"*;q=0", false},
		{"gzip;q=0, *", false}, // the explicit entry wins
		{"br", false},
		{"x-gzip", true},
	}
	for _, tc := range tests {
		if got := acceptsGzip([]string{tc.header}); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// TestEmbeddedAssets: the shipped files load and each has a hashed URL.
func TestEmbeddedAssets(t *testing.T) {
	a, err := LoadAssets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app.css", "app.js", "favicon.svg"} {
		if p := a.Path(name); p == "/static/"+name {
			t.Errorf("%s is not embedded", name)
		}
	}
}
