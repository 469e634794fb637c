package api_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"agora/internal/api"
	"agora/internal/checkout"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// anyField skips the field check where the message alone is the point.
const anyField = "*"

// TestBadInput: every kind of bad request gets a clear 4xx naming the field
// when there is one, sets no cookie and writes nothing.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ctx := context.Background()
		past := time.Now().UTC().Add(-48 * time.Hour)
		yesterday := past.Add(24 * time.Hour)
		if _, err := s.h.Checkout.CreateDiscount(ctx, checkout.Discount{Code: "SUMMER", Kind: "percent", Value: 10,
			StartsAt: &past, EndsAt: &yesterday, Active: true}); err != nil {
			t.Fatal(err)
		}
		// withCart is a guest with one shirt in the cart, ready to check out.
		withCart := s.shopper()
		expect(t, "fill the cart", withCart.add(t, s.v["BS-S"], 1), 200)

		bs := s.v["BS-S"]
		add := func(qty string) string { return fmt.Sprintf(`{"variant_id":%d,"quantity":%s}`, bs, qty) }
		huge := `{"variant_id":1,"quantity":1,"pad":"` + strings.Repeat("x", 10<<20) + `"}`
		addr := `{"name":"Kim","line1":"Hauptstraße 1","city":"Berlin","postal_code":"10115","country":"DE"}`
		checkoutWith := func(email, address, discount string) string {
			return fmt.Sprintf(`{"email":%q,"shipping_address":%s,"discount_code":%q}`, email, address, discount)
		}
		long := strings.Repeat("a", 5000)
		key := []string{api.IdempotencyHeader, "bad-input"}

		tests := []struct {
			name         string
			guest        bool // a new visitor without a session, else withCart
			method, path string
			body         any
			hdr          []string
			status       int // -1: 400 or 409
			code, field  string
		}{
			{"quantity 0", true, "POST", "/api/v1/cart/items", add("0"), nil, 400, "invalid", "quantity"},
			{"quantity -1", true, "POST", "/api/v1/cart/items", add("-1"), nil, 400, "invalid", "quantity"},
			{"quantity 1e9", true, "POST", "/api/v1/cart/items", add("1e9"), nil, 400, "invalid", "quantity"},
			{"quantity 1000000000", true, "POST", "/api/v1/cart/items", add("1000000000"), nil, 400, "invalid", "quantity"},
			{"quantity overflowing int64", true, "POST", "/api/v1/cart/items", add("99999999999999999999999"), nil, 400, "invalid", "quantity"},
			{"quantity 1.5", true, "POST", "/api/v1/cart/items", add("1.5"), nil, 400, "invalid", "quantity"},
			{`quantity "abc"`, true, "POST", "/api/v1/cart/items", add(`"abc"`), nil, 400, "invalid", "quantity"},
			{`quantity "2"`, true, "POST", "/api/v1/cart/items", add(`"2"`), nil, 400, "invalid", "quantity"},
			{"quantity missing", true, "POST", "/api/v1/cart/items", fmt.Sprintf(`{"variant_id":%d}`, bs), nil, 400, "invalid", "quantity"},
			{"unknown variant", true, "POST", "/api/v1/cart/items", `{"variant_id":987654,"quantity":1}`, nil, 400, "invalid", "variant_id"},
			{"variant id 0", true, "POST", "/api/v1/cart/items", `{"variant_id":0,"quantity":1}`, nil, 400, "invalid", "variant_id"},
			{"variant id as text", true, "POST", "/api/v1/cart/items", `{"variant_id":"1","quantity":1}`, nil, 400, "invalid", "variant_id"},
			{"sold out variant", true, "POST", "/api/v1/cart/items", fmt.Sprintf(`{"variant_id":%d,"quantity":1}`, s.v["BS-M"]), nil, 409, "out_of_stock", anyField},
			{"more than in stock", false, "POST", "/api/v1/cart/items", add("10"), nil, 409, "out_of_stock", anyField},
			{"malformed JSON", true, "POST", "/api/v1/cart/items", `{"variant_id":1,`, nil, 400, "invalid", ""},
			{"not JSON at all", true, "POST", "/api/v1/cart/items", `variant_id=1&quantity=1`, nil, 400, "invalid", ""},
			{"two JSON values", true, "POST", "/api/v1/cart/items", add("1") + `{}`, nil, 400, "invalid", ""},
			{"an array", true, "POST", "/api/v1/cart/items", `[1,2]`, nil, 400, "invalid", ""},
			{"null", true, "POST", "/api/v1/cart/items", `null`, nil, 400, "invalid", "quantity"},
			{"unknown field", true, "POST", "/api/v1/cart/items", fmt.Sprintf(`{"variant_id":%d,"quantity":1,"price_cents":1}`, bs), nil, 400, "invalid", "price_cents"},
			{"empty body", true, "POST", "/api/v1/cart/items", "", nil, 400, "invalid", ""},
			{"form content type", true, "POST", "/api/v1/cart/items", add("1"), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},
			{"latin-1 charset", true, "POST", "/api/v1/cart/items", add("1"), []string{"Content-Type", "application/json; charset=iso-8859-1"}, 415, "unsupported_media_type", ""},
			{"10 MB body", true, "POST", "/api/v1/cart/items", huge, nil, 413, "too_large", ""},
			{"10 MB body, chunked", true, "POST", "/api/v1/cart/items", io.MultiReader(strings.NewReader(huge)), nil, 413, "too_large", ""},

			{"change, no quantity", false, "PATCH", fmt.Sprintf("/api/v1/cart/items/%d", bs), `{}`, nil, 400, "invalid", "quantity"},
			{"change to -1", false, "PATCH", fmt.Sprintf("/api/v1/cart/items/%d", bs), `{"quantity":-1}`, nil, 400, "invalid", "quantity"},
			{"change to 100", false, "PATCH", fmt.Sprintf("/api/v1/cart/items/%d", bs), `{"quantity":100}`, nil, 400, "invalid", "quantity"},
			{"change variant abc", false, "PATCH", "/api/v1/cart/items/abc", `{"quantity":1}`, nil, 400, "invalid", "variant_id"},
			{"change without a session", true, "PATCH", fmt.Sprintf("/api/v1/cart/items/%d", bs), `{"quantity":1}`, nil, 404, "not_found", ""},
			{"remove without a session", true, "DELETE", fmt.Sprintf("/api/v1/cart/items/%d", bs), nil, nil, 404, "not_found", ""},

			{"checkout without Idempotency-Key", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com", addr, ""), nil, 400, "invalid", api.IdempotencyHeader},
			{"checkout with a 300-char key", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com", addr, ""), []string{api.IdempotencyHeader, strings.Repeat("k", 300)}, 400, "invalid", anyField},
			{"checkout without a cart", true, "POST", "/api/v1/checkout", checkoutWith("k@example.com", addr, ""), key, 400, "invalid", anyField},
			{"checkout email missing", false, "POST", "/api/v1/checkout", checkoutWith("", addr, ""), key, 400, "invalid", "email"},
			{"checkout email malformed", false, "POST", "/api/v1/checkout", checkoutWith("kim at example", addr, ""), key, 400, "invalid", "email"},
			{"checkout 5,000-char city", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com",
				strings.Replace(addr, `"Berlin"`, `"`+long+`"`, 1), ""), key, 400, "invalid", "shipping_address.city"},
			{"checkout 5,000-char name", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com",
				strings.Replace(addr, `"Kim"`, `"`+long+`"`, 1), ""), key, 400, "invalid", "shipping_address.name"},
			{"checkout name not UTF-8", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com",
				strings.Replace(addr, `"Kim"`, "\"Kim \xff\xfe\"", 1), ""), key, 400, "invalid", "shipping_address.name"},
			{"checkout unknown country", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com",
				strings.Replace(addr, `"DE"`, `"XX"`, 1), ""), key, 400, "invalid", "shipping_address.country"},
			{"checkout address field unknown", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com",
				strings.Replace(addr, `"DE"`, `"DE","state":"BE"`, 1), ""), key, 400, "invalid", "state"},
			{"checkout address as text", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com", `"Berlin"`, ""), key, 400, "invalid", "shipping_address"},
			{"checkout unknown shipping", false, "POST", "/api/v1/checkout",
				`{"email":"k@example.com","shipping_address":` + addr + `,"shipping_method":"teleport"}`, key, 400, "invalid", "shipping_method"},
			{"checkout expired discount", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com", addr, "SUMMER"), key, -1, anyField, "discount_code"},
			{"checkout unknown discount", false, "POST", "/api/v1/checkout", checkoutWith("k@example.com", addr, "NOPE"), key, -1, anyField, "discount_code"},

			{"register name not UTF-8", true, "POST", "/api/v1/customers",
				"{\"email\":\"n@example.com\",\"name\":\"Kim \xc3\x28\",\"password\":\"correct horse battery\"}", nil, 400, "invalid", "name"},
			{"register short password", true, "POST", "/api/v1/customers", `{"email":"n@example.com","name":"Kim","password":"short"}`, nil, 400, "invalid", "password"},
			{"register bad email", true, "POST", "/api/v1/customers", `{"email":"nobody","name":"Kim","password":"correct horse battery"}`, nil, 400, "invalid", "email"},
			{"log in unknown account", true, "POST", "/api/v1/session", `{"email":"who@example.com","password":"correct horse battery"}`, nil, 401, "unauthorized", ""},
			{"log in, password a number", true, "POST", "/api/v1/session", `{"email":"who@example.com","password":12345}`, nil, 400, "invalid", "password"},
			{"reset for an unknown account", true, "POST", "/api/v1/password-reset", `{"email":"who@example.com"}`, nil, 202, "", ""},
			{"reset with a forged token", true, "POST", "/api/v1/password-reset/forged", `{"password":"correct horse battery"}`, nil, 400, "invalid", "token"},
			{"orders without logging in", true, "GET", "/api/v1/orders", nil, nil, 401, "unauthorized", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := withCart
				if tc.guest {
					c = s.shopper()
				}
				before := s.fingerprint(t)
				r := c.call(t, tc.method, tc.path, tc.body, tc.hdr...)
				switch {
				case tc.status == -1 && (r.status == 400 || r.status == 409):
				case r.status != tc.status:
					t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
				}
				if sc := r.header.Get("Set-Cookie"); sc != "" {
					t.Errorf("set a cookie: %s", sc)
				}
				if after := s.fingerprint(t); after != before {
					t.Errorf("wrote something: %s → %s", before, after)
				}
				if r.status < 400 {
					return
				}
				e := c.errorOf(t, r)
				if tc.code != anyField && e.Error.Code != tc.code {
					t.Errorf("code %q, want %q: %s", e.Error.Code, tc.code, r.body)
				}
				if tc.field != anyField && e.Error.Field != tc.field {
					t.Errorf("field %q, want %q: %s", e.Error.Field, tc.field, r.body)
				}
				if len(e.Error.Message) < 10 || len(e.Error.Message) > 300 {
					t.Errorf("message %q is not a clear sentence", e.Error.Message)
				}
			})
		}
	})
}
