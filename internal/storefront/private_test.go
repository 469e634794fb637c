package storefront_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestPublicPagesStayPublic: with the shopping pages mounted, a logged-in
// shopper with a cart gets the public pages byte for byte as a first-time
// visitor does, and no cookie with them.
func TestPublicPagesStayPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		b := s.shopper(t)
		b.register("Ada", "ada@example.com")
		b.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 0)}}, "/cart")
		if b.sessionCookie() == "" {
			t.Fatal("no session")
		}
		for _, path := range []string{"/", "/categories/shirts", "/products/oxford-shirt", "/search?q=shirt", "/products/nope"} {
			fetch := func(c *http.Client) (*http.Response, string) {
				res, err := c.Get(s.srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return res, string(body)
			}
			mine, myBody := fetch(b.c)
			anon, anonBody := fetch(http.DefaultClient)
			if myBody != anonBody {
				t.Errorf("GET %s differs for a logged-in shopper", path)
			}
			if c := mine.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("GET %s set a cookie: %q", path, c)
			}
			if cc := mine.Header.Get("Cache-Control"); cc == cachehdr.Private || cc != anon.Header.Get("Cache-Control") {
				t.Errorf("GET %s: Cache-Control %q", path, cc)
			}
			mustNotContain(t, path, myBody, "Ada")
		}
	})
}

// TestShoppingPagesArePrivate: every shopping page and answer, including
// redirects and errors, is private, no-store (the shopper helper checks
// each response; this visits the ones the flows do not).
func TestShoppingPagesArePrivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		b := s.shopper(t)
		for _, path := range []string{"/cart", "/checkout", "/account", "/account/login", "/account/register",
			"/account/reset", "/account/reset?sent=1", "/account/reset/abc", "/orders/AAAA-BBBB", "/orders/x"} {
			res := b.get(path)
			if res.status >= 500 {
				t.Errorf("GET %s: %d", path, res.status)
			}
		}
		for _, path := range []string{"/account/logout", "/checkout", "/account/addresses", "/account/addresses/1/delete", "/account/reset/abc"} {
			if res := b.post(path, url.Values{}); res.status >= 500 {
				t.Errorf("POST %s: %d", path, res.status)
			}
		}
	})
}
