package storefront_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

var orderRE = regexp.MustCompile(`^/orders/([0-9A-Z]{4}-[0-9A-Z]{4})$`)

// TestShopperFlow is a guest's purchase without JavaScript, from the
// product page to the confirmation, with the mistakes shoppers make.
func TestShopperFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		ada := s.shopper(t)

		// The product page's form posts the variant and quantity.
		product := s.get(t, "/products/oxford-shirt")
		mustContain(t, "product", product.body, `action="/cart/items"`, `name="variant_id" value="`+s.variant("oxford-shirt", 1)+`"`)

		// Adding to the cart creates the session and goes to the cart.
		ada.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 1)}, "quantity": {"2"}}, "/cart")
		if ada.sessionCookie() == "" {
			t.Fatal("adding to the cart set no session cookie")
		}
		cartPage := ada.get("/cart")
		if cartPage.status != 200 {
			t.Fatalf("GET /cart: %d", cartPage.status)
		}
		mustContain(t, "cart", cartPage.body, "Oxford Shirt", "Size: M", "€52.50 each", "€105.00",
			`name="quantity" value="2"`, `action="/cart/items/`+s.variant("oxford-shirt", 1)+`/remove"`, `href="/checkout"`)

		// The checkout form offers methods and totals, and a key.
		key := ada.checkoutKey()
		page := ada.get("/checkout")
		mustContain(t, "checkout", page.body, "Standard shipping", "Express shipping", "Bank transfer or cash on delivery",
			`name="shipping_address.city"`, `name="discount_code"`, "Oxford Shirt", "€105.00", "Free") // over 50.00: free
		if again := keyRE.FindStringSubmatch(page.body); again == nil || again[1] == key {
			t.Error("two renderings of the checkout share an idempotency key")
		}

		// A bad address: a message by each field, the input kept, nothing
		// written.
		bad := checkoutForm(key)
		bad.Set("shipping_address.city", "")
		bad.Set("shipping_address.country", "XX")
		bad.Set("shipping_address.line1", "Unter den Linden 5")
		bad.Set("shipping_address.postal_code", strings.Repeat("9", 5000))
		res := ada.post("/checkout", bad)
		if res.status != http.StatusBadRequest {
			t.Fatalf("bad address: status %d, want 400\n%s", res.status, errorsIn(res.body))
		}
		for _, f := range []string{"shipping_address.city", "shipping_address.country", "shipping_address.postal_code"} {
			if fieldError(res.body, f) == "" {
				t.Errorf("bad address: no message next to %s (shown: %s)", f, errorsIn(res.body))
			}
		}
		if v, _ := inputValue(res.body, "shipping_address.line1"); v != "Unter den Linden 5" {
			t.Errorf("bad address: line1 not kept: %q", v)
		}
		if v, _ := inputValue(res.body, "email"); v != "ada@example.com" {
			t.Errorf("bad address: email not kept: %q", v)
		}
		if n := s.count(t, "SELECT COUNT(*) FROM orders"); n != 0 {
			t.Fatalf("a refused checkout wrote %d orders", n)
		}

		// A valid one places the order and shows the confirmation.
		loc := ada.postOK("/checkout", checkoutForm(key), "")
		m := orderRE.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("placed order: redirect to %q, want /orders/XXXX-XXXX", loc)
		}
		number := m[1]
		conf := ada.get(loc)
		if conf.status != 200 {
			t.Fatalf("GET %s: %d", loc, conf.status)
		}
		mustContain(t, "confirmation", conf.body, number, "Awaiting payment", "Oxford Shirt", "2 × €52.50",
			"Ada Lovelace", "Hauptstraße 1", "10115 Berlin", "Germany", "Subtotal", "Shipping", "Total", "€105.00",
			"confirmation e-mail is on its way", "ada@example.com", "Bank transfer or cash on delivery")

		// The same key again (a double click): the same order, not a second.
		if again := ada.postOK("/checkout", checkoutForm(key), ""); again != loc {
			t.Errorf("the same key redirected to %q, want %q", again, loc)
		}
		if n := s.count(t, "SELECT COUNT(*) FROM orders"); n != 1 {
			t.Errorf("the same idempotency key made %d orders", n)
		}
		if n := s.count(t, "SELECT stock FROM variants WHERE id = $1", s.prod["oxford-shirt"].Variants[1].ID); n != 1 {
			t.Errorf("stock after selling 2 of 3: %d", n)
		}

		// The cart is empty now, and the checkout sends back to it.
		mustContain(t, "cart after order", ada.get("/cart").body, "Your cart is empty.")
		if res := ada.get("/checkout"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/cart" {
			t.Errorf("checkout of an empty cart: %d to %q", res.status, res.header.Get("Location"))
		}

		// Nobody else sees the order: not another visitor, not one
		// without a session.
		eve := s.shopper(t)
		if res := eve.get(loc); res.status != http.StatusNotFound {
			t.Errorf("a stranger got %s: %d", loc, res.status)
		}
		eve.postOK("/cart/items", url.Values{"variant_id": {s.variant("linen-shirt", 0)}}, "/cart")
		if res := eve.get(loc); res.status != http.StatusNotFound || strings.Contains(res.body, "Ada") {
			t.Errorf("another session got %s: %d", loc, res.status)
		}
	})
}

// TestCheckoutOutOfStock: stock sold between the cart and the checkout
// re-renders the form naming the line, and writes nothing.
func TestCheckoutOutOfStock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		a, b := s.shopper(t), s.shopper(t)
		medium := s.variant("oxford-shirt", 1) // stock 3
		a.postOK("/cart/items", url.Values{"variant_id": {medium}, "quantity": {"2"}}, "/cart")
		b.postOK("/cart/items", url.Values{"variant_id": {medium}, "quantity": {"2"}}, "/cart")
		ka, kb := a.checkoutKey(), b.checkoutKey()
		a.postOK("/checkout", checkoutForm(ka), "")

		res := b.post("/checkout", checkoutForm(kb))
		if res.status != http.StatusConflict {
			t.Fatalf("checkout beyond the stock: status %d, want 409\n%s", res.status, errorsIn(res.body))
		}
		mustContain(t, "out of stock", res.body, "Oxford Shirt", "OX-M", "only 1 left, you asked for 2", `href="/cart"`)
		if v, _ := inputValue(res.body, "shipping_address.name"); v != "Ada Lovelace" {
			t.Errorf("out of stock: address not kept: %q", v)
		}
		if n := s.count(t, "SELECT COUNT(*) FROM orders"); n != 1 {
			t.Errorf("%d orders, want 1", n)
		}
	})
}

// TestCheckoutApply: "Apply" prices the form again without
// placing it; a bad code gets its message by the field.
func TestCheckoutApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShopping(t, db)
		a := s.shopper(t)
		a.postOK("/cart/items", url.Values{"variant_id": {s.variant("oxford-shirt", 0)}}, "/cart")
		f := checkoutForm(a.checkoutKey())
		f.Set("action", "apply")
		f.Set("shipping_method", "express")
		f.Set("discount_code", "NOPE")
		res := a.post("/checkout", f)
		if res.status != http.StatusOK {
			t.Fatalf("apply: status %d\n%s", res.status, errorsIn(res.body))
		}
		if fieldError(res.body, "discount_code") == "" {
			t.Errorf("an unknown code got no message (shown: %s)", errorsIn(res.body))
		}
		mustContain(t, "apply", res.body, `value="express" checked`, "(Express shipping)")
		if n := s.count(t, "SELECT COUNT(*) FROM orders"); n != 0 {
			t.Errorf("apply placed %d orders", n)
		}
	})
}
