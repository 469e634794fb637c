package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"agora/internal/session"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestShoppingFlow is what a headless client does: browse, add to cart,
// look at the cart, register, check out with an Idempotency-Key, retry it,
// and find the order in the account.
func TestShoppingFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		c := s.shopper()

		// Browsing sets no cookie: public pages stay cacheable.
		if r := s.shopper().getPublic(t, "/api/v1/products"); r.status != 200 || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("GET products: %d, Set-Cookie %q; want 200 and no cookie", r.status, r.header.Get("Set-Cookie"))
		}
		r := c.call(t, "GET", "/api/v1/session", nil)
		expect(t, "session of a new visitor", r, 200)
		var so sessionOut
		r.decode(t, &so)
		if so.Customer != nil || so.CartCount != 0 || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("new visitor's session: %s, Set-Cookie %q; want null customer, 0, no cookie", r.body, r.header.Get("Set-Cookie"))
		}

		// Adding to the cart creates the session.
		r = c.add(t, s.v["BS-S"], 2)
		expect(t, "add to cart", r, 200)
		ck := cookieNamed(r.header, session.CookieName)
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
			t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", ck)
		}
		var ct cartOut
		r.decode(t, &ct)
		if ct.Count != 2 || ct.SubtotalCents != 5000 || ct.Currency != "EUR" {
			t.Fatalf("cart after adding 2 × 25.00: %s", r.body)
		}
		r = c.call(t, "GET", "/api/v1/cart", nil)
		expect(t, "view cart", r, 200)
		r.decode(t, &ct)
		if q := ct.quantities(); len(q) != 1 || q["BS-S"] != 2 {
			t.Fatalf("cart: %s, want BS-S × 2", r.body)
		}

		// Registering logs nobody in (issue 9); logging in then keeps the cart.
		r = c.call(t, "POST", "/api/v1/customers", map[string]string{
			"email": "kim@example.com", "name": "Kim Meyer", "password": "correct horse battery"})
		expect(t, "register", r, 202)
		r = c.login(t, "kim@example.com")
		expect(t, "login after registering", r, 200)
		r.decode(t, &so)
		if so.Customer == nil || so.Customer.Email != "kim@example.com" || so.CartCount != 2 {
			t.Fatalf("session after registering: %s", r.body)
		}

		// Check out; the same key again is the same order.
		r = c.checkout(t, "attempt-1", checkoutBody("kim@example.com"))
		expect(t, "checkout", r, 201)
		var first placedOut
		r.decode(t, &first)
		if first.OrderNumber == "" || first.TotalCents < 5000 || first.Currency != "EUR" || first.Status != "pending_payment" {
			t.Fatalf("placed order: %s", r.body)
		}
		if loc := r.header.Get("Location"); loc != "/api/v1/orders/"+first.OrderNumber {
			t.Errorf("Location %q", loc)
		}
		r = c.checkout(t, "attempt-1", checkoutBody("kim@example.com"))
		expect(t, "checkout retried", r, 200)
		var again placedOut
		r.decode(t, &again)
		if again != first {
			t.Fatalf("retry answered %+v, want the first order %+v", again, first)
		}
		if n := ordersCount(t, db); n != 1 {
			t.Fatalf("%d orders after a retried checkout, want 1", n)
		}
		if got := s.stock(t, "BS-S"); got != 8 {
			t.Errorf("stock of BS-S after selling 2 of 10: %d", got)
		}
		r = c.call(t, "GET", "/api/v1/cart", nil)
		if r.decode(t, &ct); len(ct.Lines) != 0 {
			t.Errorf("cart after checkout: %s, want empty", r.body)
		}

		// The order is in the account.
		r = c.call(t, "GET", "/api/v1/orders", nil)
		expect(t, "orders", r, 200)
		var list struct {
			Items []struct {
				OrderNumber string `json:"order_number"`
				TotalCents  int64  `json:"total_cents"`
			}
		}
		r.decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].OrderNumber != first.OrderNumber || list.Items[0].TotalCents != first.TotalCents {
			t.Fatalf("orders: %s, want just %s", r.body, first.OrderNumber)
		}
		r = c.call(t, "GET", "/api/v1/orders/"+first.OrderNumber, nil)
		expect(t, "one order", r, 200)
		var o struct {
			Lines []struct {
				SKU      string
				Quantity int
			}
			ShippingAddress struct{ City string } `json:"shipping_address"`
			TotalCents      int64                 `json:"total_cents"`
		}
		r.decode(t, &o)
		if len(o.Lines) != 1 || o.Lines[0].SKU != "BS-S" || o.Lines[0].Quantity != 2 || o.ShippingAddress.City != "Berlin" || o.TotalCents != first.TotalCents {
			t.Fatalf("order: %s", r.body)
		}

		// Options list the defaults the body may leave out.
		r = c.call(t, "GET", "/api/v1/checkout/options", nil)
		expect(t, "options", r, 200)
		var opts struct {
			Shipping []struct{ Code string }
			Payment  []struct{ Code string }
		}
		r.decode(t, &opts)
		if !slices.ContainsFunc(opts.Shipping, func(m struct{ Code string }) bool { return m.Code == "standard" }) ||
			!slices.ContainsFunc(opts.Payment, func(m struct{ Code string }) bool { return m.Code == "manual" }) {
			t.Errorf("options: %s, want standard shipping and manual payment", r.body)
		}

		// Logging out ends the session.
		expect(t, "log out", c.call(t, "DELETE", "/api/v1/session", nil), 200)
		expect(t, "orders after logging out", c.call(t, "GET", "/api/v1/orders", nil), 401)
	})
}

// TestLoginMergesCartAndRotatesSession: the guest cart joins the customer's
// saved cart (quantities added, capped by stock), and the guest's session
// id stops working (no fixation).
func TestLoginMergesCartAndRotatesSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.register(t, "kim@example.com")

		// Earlier, on another device, Kim put 8 small shirts in her cart.
		other := s.shopper()
		expect(t, "log in elsewhere", other.login(t, "kim@example.com"), 200)
		expect(t, "add elsewhere", other.add(t, s.v["BS-S"], 8), 200)

		guest := s.shopper()
		expect(t, "guest adds", guest.add(t, s.v["BS-S"], 5), 200)
		expect(t, "guest adds", guest.add(t, s.v["RS-1"], 1), 200)
		oldCookie := guest.sessionCookie()

		r := guest.login(t, "kim@example.com")
		expect(t, "log in", r, 200)
		var so sessionOut
		r.decode(t, &so)
		if so.Customer == nil || so.Customer.Email != "kim@example.com" {
			t.Fatalf("session after login: %s", r.body)
		}
		if nc := guest.sessionCookie(); nc == "" || nc == oldCookie {
			t.Fatalf("session id not rotated on login")
		}
		var ct cartOut
		guest.call(t, "GET", "/api/v1/cart", nil).decode(t, &ct)
		if q := ct.quantities(); q["BS-S"] != 10 || q["RS-1"] != 1 || len(q) != 2 {
			t.Errorf("merged cart %v, want BS-S 8+5 capped at the stock of 10, RS-1 1", q)
		}
		if so.CartCount != 11 {
			t.Errorf("cart_count after login %d, want 11", so.CartCount)
		}

		// Whoever kept the old cookie holds nothing.
		stale := s.shopper()
		stale.client.Jar.SetCookies(mustURL(t, s.srv.URL), []*http.Cookie{{Name: session.CookieName, Value: oldCookie}})
		stale.call(t, "GET", "/api/v1/session", nil).decode(t, &so)
		if so.Customer != nil || so.CartCount != 0 {
			t.Errorf("the pre-login cookie still works: %+v", so)
		}
	})
}

// TestOrdersAreTheOwnersOnly: another customer, a guest and a forged
// cookie all get the 404 of an order that does not exist.
func TestOrdersAreTheOwnersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.register(t, "kim@example.com")
		s.register(t, "lou@example.com")
		kim, lou, guest := s.shopper(), s.shopper(), s.shopper()
		expect(t, "kim logs in", kim.login(t, "kim@example.com"), 200)
		expect(t, "lou logs in", lou.login(t, "lou@example.com"), 200)
		number := kim.placeOrder(t, s.v["BS-S"], "kim-1")
		guestNumber := guest.placeOrder(t, s.v["RS-1"], "guest-1")

		forged := s.shopper()
		forged.client.Jar.SetCookies(mustURL(t, s.srv.URL), []*http.Cookie{{Name: session.CookieName, Value: "forged-" + number}})
		for _, tc := range []struct {
			name   string
			who    *shopper
			number string
			status int
		}{
			{"owner", kim, number, 200},
			{"another customer", lou, number, 404},
			{"a guest", guest, number, 404},
			{"a forged cookie", forged, number, 404},
			{"no cookie", s.shopper(), number, 404},
			{"the guest's own", guest, guestNumber, 200},
			{"a customer, the guest's", kim, guestNumber, 404},
			{"unknown number", kim, "ZZZZ-ZZZZ", 404},
		} {
			r := tc.who.call(t, "GET", "/api/v1/orders/"+tc.number, nil)
			if r.status != tc.status {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			}
		}
		var list struct {
			Items []struct {
				OrderNumber string `json:"order_number"`
			}
		}
		lou.call(t, "GET", "/api/v1/orders", nil).decode(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("lou sees orders: %+v", list.Items)
		}
		// Kim's history a page at a time (issue 16): one order to a page.
		var pg struct {
			Items []struct {
				OrderNumber string `json:"order_number"`
			}
			Total   int `json:"total"`
			Page    int `json:"page"`
			PerPage int `json:"per_page"`
		}
		kim.call(t, "GET", "/api/v1/orders?per_page=1", nil).decode(t, &pg)
		if pg.Total < 1 || len(pg.Items) != 1 || pg.Page != 1 || pg.PerPage != 1 {
			t.Errorf("kim's first page of one: %+v", pg)
		}
		total := pg.Total
		kim.call(t, "GET", fmt.Sprintf("/api/v1/orders?per_page=1&page=%d", total+1), nil).decode(t, &pg)
		if pg.Total != total || len(pg.Items) != 0 || pg.Page != total+1 {
			t.Errorf("kim's page past the end: %+v, want no items and the total %d", pg, total)
		}
		for _, q := range []string{"page=0", "page=abc", "per_page=-1", "page=10001"} {
			if r := kim.call(t, "GET", "/api/v1/orders?"+q, nil); r.status != 400 || !strings.Contains(string(r.body), `"field"`) {
				t.Errorf("orders?%s: %d %s, want 400 naming the field", q, r.status, r.body)
			}
		}
		if r := guest.call(t, "GET", "/api/v1/orders", nil); r.status != 401 || guest.errorOf(t, r).Error.Code != "unauthorized" {
			t.Errorf("guest's order list: %d %s, want 401 unauthorized", r.status, r.body)
		}
		var so sessionOut
		if forged.call(t, "GET", "/api/v1/session", nil).decode(t, &so); so.Customer != nil || so.CartCount != 0 {
			t.Errorf("forged cookie's session: %+v, want none", so)
		}
	})
}

// TestOutOfStockNamesTheLines: a checkout for more than is left is a 409
// listing each short line, and writes nothing.
func TestOutOfStockNamesTheLines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		late, early := s.shopper(), s.shopper()
		expect(t, "late adds", late.add(t, s.v["RS-1"], 3), 200)
		expect(t, "early adds", early.add(t, s.v["RS-1"], 2), 200)
		expect(t, "early checks out", early.checkout(t, "early", checkoutBody("e@example.com")), 201)

		before := s.fingerprint(t)
		r := late.checkout(t, "late", checkoutBody("l@example.com"))
		expect(t, "late checks out", r, 409)
		var e struct {
			Error struct {
				Code, Message string
				Lines         []struct {
					VariantID            int64 `json:"variant_id"`
					SKU                  string
					Requested, Available int
				}
			}
		}
		r.decode(t, &e)
		if e.Error.Code != "out_of_stock" || e.Error.Message == "" || len(e.Error.Lines) != 1 {
			t.Fatalf("out of stock answer: %s", r.body)
		}
		if l := e.Error.Lines[0]; l.VariantID != s.v["RS-1"] || l.SKU != "RS-1" || l.Requested != 3 || l.Available != 1 {
			t.Errorf("line %+v, want RS-1 requested 3, available 1", l)
		}
		if after := s.fingerprint(t); after != before {
			t.Errorf("a refused checkout wrote something: %s → %s", before, after)
		}
	})
}

// TestLoginRateLimit: after too many failures for one account, even the
// right password is refused for a while with 429.
func TestLoginRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.h.Customers.MaxFailures = 3
		s.register(t, "kim@example.com")
		c := s.shopper()
		wrong := map[string]string{"email": "kim@example.com", "password": "not the password"}
		for i := range 3 {
			r := c.call(t, "POST", "/api/v1/session", wrong)
			if e := c.errorOf(t, r); r.status != 401 || e.Error.Code != "unauthorized" {
				t.Fatalf("failure %d: %d %s, want 401 unauthorized", i+1, r.status, r.body)
			}
		}
		r := c.login(t, "kim@example.com")
		if e := c.errorOf(t, r); r.status != 429 || e.Error.Code != "rate_limited" || e.Error.Message == "" {
			t.Fatalf("login after 3 failures: %d %s, want 429 rate_limited", r.status, r.body)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("a refused login set a cookie")
		}
	})
}

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
