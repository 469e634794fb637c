package app

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/store"
	"agora/internal/store/storetest"
	"agora/internal/storefront"
	"agora/internal/stripepay"
	"agora/internal/stripepay/stripetest"
)

// TestStripeCSPOnlyOnThePaymentPage: Stripe.js cannot load here, so no
// browser test would notice a policy that blocks it; this checks the
// headers instead. The card payment page allows Stripe's script, frames
// and API; every other page, the checkout form included, stays
// same-origin only.
func TestStripeCSPOnlyOnThePaymentPage(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	sm := stripetest.Start(t)
	g, err := stripepay.New(stripepay.Config{SecretKey: "sk_test_x", PublishableKey: "pk_test_x", APIBase: sm.URL})
	if err != nil {
		t.Fatal(err)
	}
	deps := shopDeps(db, nil)
	deps.Stripe = g
	deps.Checkout.Providers = []checkout.Provider{checkout.Manual{}, g}
	p, err := deps.Catalog.CreateProduct(t.Context(), catalog.NewProduct{Name: "Mug",
		Variants: []catalog.NewVariant{{SKU: "MUG", Name: "One", PriceCents: 900, Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{}, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(c.CloseIdleConnections)
	var lastBody string
	call := func(method, path, body string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		lastBody = string(b)
		return res
	}
	if res := call("POST", "/api/v1/cart/items", `{"variant_id":`+itoa(p.Variants[0].ID)+`,"quantity":1}`); res.StatusCode != 200 {
		t.Fatalf("add to cart: %d", res.StatusCode)
	}
	if res := call("GET", "/checkout", ""); res.StatusCode != 200 || strings.Contains(res.Header.Get("Content-Security-Policy"), "stripe") {
		t.Errorf("checkout form: %d, CSP %q; want 200 without Stripe", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	res := call("POST", "/api/v1/checkout", `{"email":"a@example.com","shipping_address":{"name":"Kim","line1":"Main St 1","city":"Berlin","postal_code":"10115","country":"DE"},"payment_method":"card"}`,
		"Idempotency-Key", "csp-test")
	if res.StatusCode != 201 {
		t.Fatalf("checkout: %d", res.StatusCode)
	}
	number := strings.TrimPrefix(res.Header.Get("Location"), "/api/v1/orders/")
	pay := call("GET", "/checkout/pay/"+number, "")
	if pay.StatusCode != 200 || pay.Header.Get("Content-Security-Policy") != storefront.StripeCSP {
		t.Fatalf("payment page: %d, CSP %q; want 200 and the Stripe policy", pay.StatusCode, pay.Header.Get("Content-Security-Policy"))
	}
	// Stripe.js cannot load here (nor in a browser that blocks it): the
	// form stays hidden until pay.js finds Stripe, and the page's own
	// message says what to do.
	for _, want := range []string{`<form id="pay-form" class="pay" data-pay hidden`, `data-secret="pi_standin_1_secret_standin"`,
		"could not load", "You have not been charged", `src="https://js.stripe.com/v3/"`} {
		if !strings.Contains(lastBody, want) {
			t.Errorf("payment page lacks %q", want)
		}
	}
	for _, want := range []string{"script-src 'self' https://js.stripe.com", "frame-src https://js.stripe.com", "connect-src 'self' https://api.stripe.com", "frame-ancestors 'none'"} {
		if !strings.Contains(storefront.StripeCSP, want) {
			t.Errorf("Stripe policy lacks %q", want)
		}
	}
	for _, path := range []string{"/", "/cart", "/checkout", "/orders/" + number, "/account/login"} {
		csp := call("GET", path, "").Header.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "stripe") {
			t.Errorf("%s: CSP %q, want the same-origin policy", path, csp)
		}
	}
	// The order page leads back to the payment while it is unpaid.
	call("GET", "/orders/"+number, "")
	if !strings.Contains(lastBody, `href="/checkout/pay/`+number+`"`) {
		t.Error("the unpaid card order's page has no link to pay")
	}
}
