package storefront_test

import (
	"net/http"
	"net/url"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// hostileNext are "next" values a browser could follow to another origin
// (browsers drop tabs and newlines from URLs and read "\" as "/"), or that
// are not a plain path on this site (issue 9).
var hostileNext = []string{
	"/\t/evil.example/x", // what ?next=/%09/evil.example/x decodes to
	"/%09/evil.example/x",
	"/\n/evil.example/x",
	"/\r\n/evil.example/x",
	" //evil.example/x",
	"/ /evil.example/x",
	"/\x00/evil.example/x",
	"/\u00a0/evil.example/x",
	"/\u2028/evil.example/x",
	"/%2F/evil.example/x",
	"/%5Cevil.example/x",
	"/%E2%80%A8/evil.example/x",
	"/\xff/evil.example/x",
	"//evil.example/x",
	"/\\evil.example/x",
	"\\\\evil.example/x",
	"https://evil.example/x",
	"http:/evil.example/x",
	"javascript:alert(1)",
	"evil.example/x",
}

// TestNextNeverLeavesTheSite: whatever "next" says, login sends the shopper
// to a path of this site.
func TestNextNeverLeavesTheSite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		b := s.shopper(t)
		b.register("Ada", "ada@example.com")
		for _, next := range hostileNext {
			// Logged in, the login page goes on to next, or to the account.
			res := b.get("/account/login?next=" + url.QueryEscape(next))
			if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/account" {
				t.Errorf("GET login, next=%q: %d to %q, want 303 to /account", next, res.status, loc)
			}
		}
		c := s.shopper(t)
		c.postOK("/account/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"/\t/evil.example/x"}}, "/account")
		// A good next is still followed.
		res := b.get("/account/login?next=" + url.QueryEscape("/search?q=red%20shirt#results"))
		if loc := res.header.Get("Location"); loc != "/search?q=red%20shirt#results" {
			t.Errorf("GET login with a local next: to %q", loc)
		}
	})
}
