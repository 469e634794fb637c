package storefront_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestStaticAssets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		home := s.get(t, "/").body
		css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(home)
		js := regexp.MustCompile(`src="(/static/app\.[0-9a-f]{10}\.js)"`).FindStringSubmatch(home)
		icon := regexp.MustCompile(`href="(/static/favicon\.[0-9a-f]{10}\.svg)"`).FindStringSubmatch(home)
		if css == nil || js == nil || icon == nil {
			t.Fatal("the layout does not link hashed app.css, app.js and favicon.svg")
		}
		for path, ctype := range map[string]string{css[1]: "text/css; charset=utf-8", js[1]: "text/javascript; charset=utf-8", icon[1]: "image/svg+xml"} {
			plain := s.get(t, path, "Accept-Encoding", "identity")
			if plain.status != 200 || plain.header.Get("Content-Type") != ctype || plain.header.Get("Cache-Control") != cachehdr.Immutable || plain.header.Get("ETag") == "" {
				t.Errorf("GET %s: status %d, headers %v", path, plain.status, plain.header)
			}
			if plain.header.Get("Content-Encoding") != "" {
				t.Errorf("GET %s: encoded for a client that refused it", path)
			}
			again := s.get(t, path, "Accept-Encoding", "identity", "If-None-Match", plain.header.Get("ETag"))
			if again.status != 304 {
				t.Errorf("GET %s with its ETag: status %d, want 304", path, again.status)
			}
		}

		// The stylesheet also comes gzipped, decoding to the same bytes.
		plain := s.get(t, css[1], "Accept-Encoding", "identity")
		gz := s.get(t, css[1], "Accept-Encoding", "br, gzip;q=0.8")
		if gz.header.Get("Content-Encoding") != "gzip" || gz.header.Get("Vary") != "Accept-Encoding" || gz.header.Get("Cache-Control") != cachehdr.Immutable {
			t.Fatalf("gzip variant headers: %v", gz.header)
		}
		if gz.header.Get("ETag") == plain.header.Get("ETag") {
			t.Error("gzip and identity bodies share an ETag")
		}
		zr, err := gzip.NewReader(strings.NewReader(gz.body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, []byte(plain.body)) || len(gz.body) >= len(plain.body) {
			t.Errorf("gzip body does not decode to the stylesheet (%v)", err)
		}

		// Only the current hash is served.
		for _, path := range []string{"/static/app.0000000000.css", "/static/app.css", "/static/nope.0123456789.css", "/static/"} {
			// Not cacheable: mid-deploy, another instance may have it.
			if res := s.get(t, path); res.status != 404 || res.header.Get("Cache-Control") != cachehdr.Private {
				t.Errorf("GET %s: status %d, Cache-Control %q, want an uncacheable 404", path, res.status, res.header.Get("Cache-Control"))
			}
		}
	})
}
