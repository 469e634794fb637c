package storefront_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// register creates an account through the form, then logs in with it
// (registering logs nobody in), and leaves b logged in.
func (b *shopper) register(name, email string) {
	b.t.Helper()
	b.postOK("/account/register", url.Values{"name": {name}, "email": {email}, "password": {"correct horse battery"}}, "/account/register?sent=1")
	b.postOK("/account/login", url.Values{"email": {email}, "password": {"correct horse battery"}}, "/account")
}

func TestAccountPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		ada := s.shopper(t)

		// The account page wants a login first, and comes back after.
		if res := ada.get("/account"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/account/login?next=%2Faccount" {
			t.Fatalf("GET /account logged out: %d to %q", res.status, res.header.Get("Location"))
		}
		mustContain(t, "register page", ada.get("/account/register").body, `name="name"`, `name="email"`, `name="password"`, `autocomplete="new-password"`)

		// A weak password: its message, the rest kept, the password not
		// sent back.
		res := ada.post("/account/register", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "password": {"short"}})
		if res.status != http.StatusBadRequest || fieldError(res.body, "password") == "" {
			t.Errorf("weak password: status %d, message %q", res.status, fieldError(res.body, "password"))
		}
		if v, _ := inputValue(res.body, "email"); v != "ada@example.com" {
			t.Errorf("weak password: email not kept: %q", v)
		}
		if _, echoed := inputValue(res.body, "password"); echoed || strings.Contains(res.body, `value="short"`) {
			t.Error("the password was sent back in the page")
		}
		if ada.sessionCookie() != "" {
			t.Error("a refused registration created a session")
		}

		ada.register("Ada", "ada@example.com")
		page := ada.get("/account")
		mustContain(t, "account", page.body, "Hello, Ada", "ada@example.com", "You have not ordered anything yet",
			`action="/account/logout"`, `action="/account/addresses"`)

		// The same address again (issue 9): the answer a new address gets,
		// and no session, so the page tells nobody who has an account.
		other, fresh := s.shopper(t), s.shopper(t)
		known := other.post("/account/register", url.Values{"name": {"Eve"}, "email": {"ADA@example.com"}, "password": {"another long password"}, "next": {"/cart"}})
		unknown := fresh.post("/account/register", url.Values{"name": {"Eve"}, "email": {"eve.new@example.com"}, "password": {"another long password"}, "next": {"/cart"}})
		if known.status != http.StatusSeeOther || known.status != unknown.status || known.body != unknown.body ||
			known.header.Get("Location") != "/account/register?sent=1&next=%2Fcart" || known.header.Get("Location") != unknown.header.Get("Location") {
			t.Errorf("known address: %d to %q; new address: %d to %q; want the same answer", known.status, known.header.Get("Location"), unknown.status, unknown.header.Get("Location"))
		}
		if other.sessionCookie() != "" || fresh.sessionCookie() != "" {
			t.Error("registration logged someone in")
		}
		mustContain(t, "registered page", other.get("/account/register?sent=1&next=%2Fcart").body, "If it is new here", `href="/account/login?next=%2fcart"`)

		// Addresses: refused with messages by the fields, then saved.
		addr := url.Values{"name": {"Ada Lovelace"}, "line1": {"12 St James's Square"}, "city": {""}, "postal_code": {"SW1Y 4JH"}, "country": {"GB"}}
		res = ada.post("/account/addresses", addr)
		if res.status != http.StatusBadRequest || fieldError(res.body, "city") == "" {
			t.Errorf("address without a city: status %d, city message %q (%s)", res.status, fieldError(res.body, "city"), errorsIn(res.body))
		}
		if v, _ := inputValue(res.body, "line1"); v != "12 St James&#39;s Square" {
			t.Errorf("refused address: line1 not kept: %q", v)
		}
		addr.Set("city", "London")
		ada.postOK("/account/addresses", addr, "/account#addresses")
		page = ada.get("/account")
		mustContain(t, "account with address", page.body, "12 St James&#39;s Square", "SW1Y 4JH London", "United Kingdom")
		del := regexp.MustCompile(`action="(/account/addresses/\d+/delete)"`).FindStringSubmatch(page.body)
		if del == nil {
			t.Fatal("no delete button for the address")
		}

		// Checkout as a customer: e-mail filled in, the saved address
		// picked, and the order lands in the history.
		ada.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 0)}}, "/cart")
		co := ada.get("/checkout")
		mustContain(t, "customer checkout", co.body, "Logged in as Ada", `name="email" type="email" value="ada@example.com"`, `name="address_id" value="`, `name="save_address"`)
		id := regexp.MustCompile(`name="address_id" value="(\d+)" checked`).FindStringSubmatch(co.body)
		if id == nil {
			t.Fatal("the saved address is not picked by default")
		}
		loc := ada.postOK("/checkout", url.Values{"address_id": {id[1]}, "shipping_method": {"standard"}, "payment_method": {"manual"},
			"idempotency_key": {keyRE.FindStringSubmatch(co.body)[1]}, "action": {"place"}}, "")
		number := orderRE.FindStringSubmatch(loc)
		if number == nil {
			t.Fatalf("customer order redirected to %q", loc)
		}
		mustContain(t, "customer confirmation", ada.get(loc).body, "Ada Lovelace", "SW1Y 4JH London", "ada@example.com")
		mustContain(t, "order history", ada.get("/account").body, `href="/orders/`+number[1]+`"`, "Awaiting payment", "€54.94") // 49.99 + 4.95

		// A second order: the history pages, one order to a page here
		// (newShopping), newest first (issue 16).
		ada.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 0)}}, "/cart")
		co = ada.get("/checkout")
		second := orderRE.FindStringSubmatch(ada.postOK("/checkout", url.Values{"address_id": {id[1]}, "shipping_method": {"standard"}, "payment_method": {"manual"},
			"idempotency_key": {keyRE.FindStringSubmatch(co.body)[1]}, "action": {"place"}}, ""))
		if second == nil {
			t.Fatal("the second order was not placed")
		}
		newest := ada.get("/account").body
		mustContain(t, "history, page 1", newest, `href="/orders/`+second[1]+`"`, `href="/account?page=2#orders" rel="next"`)
		mustNotContain(t, "history, page 1", newest, `href="/orders/`+number[1]+`"`)
		mustContain(t, "history, page 2", ada.get("/account?page=2").body, `href="/orders/`+number[1]+`"`, `href="/account?page=1#orders" rel="prev"`)
		for _, q := range []string{"page=9", "page=x", "page=-1"} { // past the end: the last; nonsense: the first
			want := number[1]
			if q != "page=9" {
				want = second[1]
			}
			mustContain(t, "history, "+q, ada.get("/account?"+q).body, `href="/orders/`+want+`"`)
		}

		// Someone else cannot delete Ada's address.
		other.register("Eve", "eve@example.com")
		if res := other.post(del[1], url.Values{}); res.status != http.StatusNotFound {
			t.Errorf("another customer deleting the address: %d", res.status)
		}
		if res := other.get(loc); res.status != http.StatusNotFound {
			t.Errorf("another customer got Ada's order: %d", res.status)
		}
		ada.postOK(del[1], url.Values{}, "/account#addresses")
		mustNotContain(t, "account after delete", ada.get("/account").body, "SW1Y 4JH London")

		// Logging out ends the session everywhere it mattered.
		ada.postOK("/account/logout", url.Values{}, "/")
		if ada.sessionCookie() != "" {
			t.Error("the session cookie survived the logout")
		}
		if res := ada.get("/account"); res.status != http.StatusSeeOther {
			t.Errorf("/account after logout: %d", res.status)
		}
		if res := ada.get(loc); res.status != http.StatusNotFound {
			t.Errorf("order page after logout: %d", res.status)
		}
	})
}

// TestLogin: one message for every failure, a new session id on success,
// the guest cart taken along, and "next" only to this site.
func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		s.shopper(t).register("Ada", "ada@example.com")

		b := s.shopper(t)
		mustContain(t, "login page", b.get("/account/login").body, `name="email"`, `autocomplete="current-password"`, `href="/account/reset"`)
		wrong := b.post("/account/login", url.Values{"email": {"ada@example.com"}, "password": {"not her password"}})
		unknown := b.post("/account/login", url.Values{"email": {"nobody@example.com"}, "password": {"not her password"}})
		if wrong.status != http.StatusBadRequest || unknown.status != wrong.status {
			t.Errorf("failed logins: status %d and %d, want 400", wrong.status, unknown.status)
		}
		if errorsIn(wrong.body) == "" || errorsIn(wrong.body) != errorsIn(unknown.body) {
			t.Errorf("failed logins differ: %q vs %q", errorsIn(wrong.body), errorsIn(unknown.body))
		}
		if v, _ := inputValue(wrong.body, "email"); v != "ada@example.com" {
			t.Errorf("failed login: email not kept: %q", v)
		}

		// A guest with a cart logs in: new cookie, same cart.
		b.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 0)}, "quantity": {"2"}}, "/cart")
		guest := b.sessionCookie()
		b.postOK("/account/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"/checkout"}}, "/checkout")
		if c := b.sessionCookie(); c == "" || c == guest {
			t.Errorf("login did not rotate the session cookie (%q → %q)", guest, c)
		}
		mustContain(t, "merged cart", b.get("/cart").body, "Oxford Shirt", `name="quantity" value="2"`)

		// The old cookie is dead: it is no session at all now.
		stale := s.shopper(t)
		stale.c.Jar.SetCookies(stale.url, []*http.Cookie{{Name: "agora_session", Value: guest}})
		mustContain(t, "stale cookie", stale.get("/cart").body, "Your cart is empty.")

		// Logged in, the login page moves on; "next" never leaves the site.
		if res := b.get("/account/login"); res.header.Get("Location") != "/account" {
			t.Errorf("login page when logged in: %d to %q", res.status, res.header.Get("Location"))
		}
		c := s.shopper(t)
		c.postOK("/account/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"//evil.example/"}}, "/account")
	})
}

// TestPasswordReset: the request page answers the same whoever asks; the
// emailed link sets a new password once.
func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		s.shopper(t).register("Ada", "ada@example.com")
		b := s.shopper(t)

		known := b.postOK("/account/reset", url.Values{"email": {"ada@example.com"}}, "")
		unknown := b.postOK("/account/reset", url.Values{"email": {"nobody@example.com"}}, "")
		if known != unknown {
			t.Errorf("reset requests answered differently: %q vs %q", known, unknown)
		}
		mustContain(t, "reset sent", b.get(known).body, "If an account exists for that e-mail address")

		var body string
		if err := db.QueryRow(context.Background(), `SELECT body_text FROM email_outbox WHERE recipient = $1 AND subject = $2`, "ada@example.com", "Reset your password").Scan(&body); err != nil {
			t.Fatalf("no reset e-mail queued: %v", err)
		}
		link := regexp.MustCompile(`https://shop\.example(/account/reset/[A-Za-z0-9_-]+)`).FindStringSubmatch(body)
		if link == nil {
			t.Fatalf("no reset link on this shop in the e-mail:\n%s", body)
		}
		form := b.get(link[1])
		mustContain(t, "new password page", form.body, `<meta name="referrer" content="no-referrer">`, `action="`+link[1]+`"`)
		if res := b.post(link[1], url.Values{"password": {"short"}}); res.status != http.StatusBadRequest || fieldError(res.body, "password") == "" {
			t.Errorf("short new password: %d, %q", res.status, errorsIn(res.body))
		}
		b.postOK(link[1], url.Values{"password": {"a brand new passphrase"}}, "/account/login?reset=done")
		mustContain(t, "login after reset", b.get("/account/login?reset=done").body, "Your password has been changed")
		b.postOK("/account/login", url.Values{"email": {"ada@example.com"}, "password": {"a brand new passphrase"}}, "/account")

		// The link works once.
		if res := b.post(link[1], url.Values{"password": {"yet another passphrase"}}); res.status != http.StatusBadRequest || !strings.Contains(res.body, `href="/account/reset"`) {
			t.Errorf("used reset link: %d (%s)", res.status, errorsIn(res.body))
		}
	})
}
