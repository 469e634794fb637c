package storefront_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestCartChanges: quantities are changed and lines removed with plain
// forms; refused changes explain themselves on the cart page and change
// nothing.
func TestCartChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		b := s.shopper(t)
		small, medium := s.variant("oxford-shirt", 0), s.variant("oxford-shirt", 1)

		// Looking at an empty cart creates nothing.
		if res := b.get("/cart"); res.status != 200 || b.sessionCookie() != "" {
			t.Fatalf("empty cart: status %d, cookie %q", res.status, b.sessionCookie())
		} else {
			mustContain(t, "empty cart", res.body, "Your cart is empty.")
		}

		tests := []struct {
			name     string
			path     string
			form     url.Values
			status   int
			message  string // shown on the page when refused
			subtotal string // on the cart page afterwards
		}{
			{"add", "/cart/items", url.Values{"variant_id": {small}, "quantity": {"1"}}, 303, "", "€49.99"},
			{"add without quantity", "/cart/items", url.Values{"variant_id": {medium}}, 303, "", "€102.49"},
			{"beyond the stock", "/cart/items", url.Values{"variant_id": {medium}, "quantity": {"3"}}, 409, "Only 3 left", "€102.49"},
			{"not a number", "/cart/items", url.Values{"variant_id": {small}, "quantity": {"two"}}, 400, "whole number", "€102.49"},
			{"zero", "/cart/items", url.Values{"variant_id": {small}, "quantity": {"0"}}, 400, "at least 1", "€102.49"},
			{"negative", "/cart/items", url.Values{"variant_id": {small}, "quantity": {"-4"}}, 400, "at least 1", "€102.49"},
			{"huge", "/cart/items", url.Values{"variant_id": {small}, "quantity": {"99999999999999999999"}}, 400, "whole number", "€102.49"},
			{"no variant", "/cart/items", url.Values{"quantity": {"1"}}, 400, "Choose which item", "€102.49"},
			{"unknown variant", "/cart/items", url.Values{"variant_id": {"999999"}}, 400, "", "€102.49"},
			{"sold-out variant", "/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 2)}}, 409, "", "€102.49"},
			{"set quantity", "/cart/items/" + small, url.Values{"quantity": {"3"}}, 303, "", "€202.47"},
			{"set beyond the stock", "/cart/items/" + medium, url.Values{"quantity": {"4"}}, 409, "Only 3 left", "€202.47"},
			{"set garbage", "/cart/items/" + medium, url.Values{"quantity": {"1.5"}}, 400, "whole number", "€202.47"},
			{"set zero removes", "/cart/items/" + medium, url.Values{"quantity": {"0"}}, 303, "", "€149.97"},
			{"remove", "/cart/items/" + small + "/remove", url.Values{}, 303, "", ""},
			{"remove again", "/cart/items/" + small + "/remove", url.Values{}, 303, "", ""},
		}
		for _, tc := range tests {
			res := b.post(tc.path, tc.form)
			if res.status != tc.status {
				t.Errorf("%s: status %d, want %d (%s)", tc.name, res.status, tc.status, errorsIn(res.body))
				continue
			}
			if tc.status == 303 {
				if loc := res.header.Get("Location"); loc != "/cart" {
					t.Errorf("%s: redirect to %q", tc.name, loc)
				}
			} else {
				msg := errorsIn(res.body)
				if msg == "" || (tc.message != "" && !contains(msg, tc.message)) {
					t.Errorf("%s: message %q, want one with %q", tc.name, msg, tc.message)
				}
			}
			page := b.get("/cart")
			if tc.subtotal == "" {
				mustContain(t, tc.name, page.body, "Your cart is empty.")
			} else {
				mustContain(t, tc.name, page.body, `<dt>Subtotal</dt><dd>`+tc.subtotal+`</dd>`)
			}
		}

		// A refused change to a line is shown on that line.
		b.postOK("/cart/items", url.Values{"variant_id": {medium}}, "/cart")
		res := b.post("/cart/items/"+medium, url.Values{"quantity": {"9"}})
		mustContain(t, "line error", res.body, `id="qty-`+medium+`-error"`, `aria-invalid="true"`)

		// Changing a cart without a session changes nothing and creates
		// no session.
		stranger := s.shopper(t)
		stranger.postOK("/cart/items/"+small, url.Values{"quantity": {"2"}}, "/cart")
		stranger.postOK("/cart/items/"+small+"/remove", url.Values{}, "/cart")
		if stranger.sessionCookie() != "" {
			t.Error("changing a cart without a session created one")
		}
		if res := stranger.post("/cart/items/abc", url.Values{"quantity": {"1"}}); res.status != http.StatusNotFound {
			t.Errorf("POST /cart/items/abc: %d", res.status)
		}

		// A body far beyond any form is refused before anything happens.
		huge := url.Values{"variant_id": {small}, "quantity": {"1"}, "junk": {strings.Repeat("x", 11<<20)}}
		if res := stranger.post("/cart/items", huge); res.status != http.StatusBadRequest || stranger.sessionCookie() != "" {
			t.Errorf("11 MB form: status %d, cookie %q", res.status, stranger.sessionCookie())
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
