package storefront_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"agora/internal/clientaddr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

type sitemapIndex struct {
	XMLName  xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []struct {
		Loc string `xml:"loc"`
	} `xml:"sitemap"`
}

type urlSet struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"url"`
}

func TestSitemaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		var idx sitemapIndex
		decodeXML(t, s, "/sitemap.xml", &idx)
		var locs []string
		for _, sm := range idx.Sitemaps {
			locs = append(locs, sm.Loc)
		}
		if want := []string{"https://shop.example/sitemap-categories.xml", "https://shop.example/sitemap-products-1.xml"}; !slices.Equal(locs, want) {
			t.Errorf("sitemap index lists %v, want %v", locs, want)
		}

		var cats urlSet
		decodeXML(t, s, "/sitemap-categories.xml", &cats)
		locs = locs[:0]
		for _, u := range cats.URLs {
			locs = append(locs, u.Loc)
		}
		for _, want := range []string{"https://shop.example/", "https://shop.example/categories/clothing", "https://shop.example/categories/shirts", "https://shop.example/categories/socks", "https://shop.example/categories/home"} {
			if !slices.Contains(locs, want) {
				t.Errorf("categories sitemap lacks %s: %v", want, locs)
			}
		}

		var prods urlSet
		decodeXML(t, s, "/sitemap-products-1.xml", &prods)
		if len(prods.URLs) != len(s.prod)+socks {
			t.Errorf("products sitemap has %d URLs, want %d", len(prods.URLs), len(s.prod)+socks)
		}
		for _, u := range prods.URLs {
			if !strings.HasPrefix(u.Loc, "https://shop.example/products/") || u.LastMod == "" {
				t.Errorf("product URL %+v", u)
			}
		}
	})
}

func decodeXML(t *testing.T, s *shop, path string, v any) {
	t.Helper()
	res := s.get(t, path)
	if res.status != 200 || res.header.Get("Content-Type") != "application/xml; charset=utf-8" {
		t.Fatalf("GET %s: status %d, Content-Type %q", path, res.status, res.header.Get("Content-Type"))
	}
	if err := xml.Unmarshal([]byte(res.body), v); err != nil {
		t.Fatalf("GET %s: not well-formed: %v\n%s", path, err, res.body)
	}
}

func TestRobots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		res := s.get(t, "/robots.txt")
		if res.status != 200 || res.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("status %d, Content-Type %q", res.status, res.header.Get("Content-Type"))
		}
		lines := strings.Split(strings.TrimSpace(res.body), "\n")
		for _, want := range []string{"User-agent: *", "Allow: /", "Disallow: /cart", "Disallow: /checkout", "Disallow: /account", "Disallow: /admin", "Disallow: /api/", "Sitemap: https://shop.example/sitemap.xml"} {
			if !slices.Contains(lines, want) {
				t.Errorf("robots.txt lacks %q:\n%s", want, res.body)
			}
		}
		if slices.Contains(lines, "Disallow: /") {
			t.Error("robots.txt disallows everything")
		}
	})
}

// TestOriginFromRequest: without PublicURL, absolute URLs take their scheme
// from a trusted proxy's X-Forwarded-Proto (clientaddr) and their host from
// Host; X-Forwarded-Host is never followed (issue 9), and a forged Host
// cannot inject markup.
func TestOriginFromRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.h.PublicURL = ""
		mux := http.NewServeMux()
		s.h.Register(mux)
		h := clientaddr.MustParse("192.0.2.1").Middleware(mux)
		get := func(peer, path, host string, hdr ...string) string {
			r := httptest.NewRequest("GET", path, nil)
			r.RemoteAddr, r.Host = peer+":4000", host
			for i := 0; i+1 < len(hdr); i += 2 {
				r.Header.Set(hdr[i], hdr[i+1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Body.String()
		}
		for _, c := range []struct {
			name, peer, want string
		}{
			{"trusted proxy", "192.0.2.1", "Sitemap: https://www.shop.test/sitemap.xml"},
			{"untrusted peer", "203.0.113.5", "Sitemap: http://www.shop.test/sitemap.xml"},
		} {
			body := get(c.peer, "/robots.txt", "www.shop.test", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example")
			if !strings.Contains(body, c.want) {
				t.Errorf("%s: want %q in\n%s", c.name, c.want, body)
			}
		}
		body := get("192.0.2.1", "/products/oxford-shirt", `evil"><script>x</script>`)
		if !strings.Contains(body, `<link rel="canonical" href="http://localhost/products/oxford-shirt">`) {
			t.Errorf("a forged Host was not ignored")
		}
	})
}

// TestMediaURL: images follow the configured media location, and
// structured data keeps them absolute.
func TestMediaURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.h.MediaURL = func(key string) string { return "https://media.example/m/" + key }
		res := s.get(t, "/products/oxford-shirt")
		mustContain(t, "product", res.body, `<img src="https://media.example/m/ox/front.jpg"`, `<meta property="og:image" content="https://media.example/m/ox/front.jpg">`)
		if img := jsonLD(t, res.body)["image"].([]any); img[0] != "https://media.example/m/ox/front.jpg" {
			t.Errorf("JSON-LD image %v", img)
		}
	})
}
