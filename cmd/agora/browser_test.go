package main_test

// A real headless Chromium (Debian's chromium, driven by chromedp) walks a
// purchase through the HTML store, as a shopper would: product page → add
// to cart → cart → checkout form → confirmation; then a second by card, to
// the payment page, whose Stripe.js cannot load here (no network): the
// page must say so and keep the card form hidden.

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"agora/internal/store"
	"agora/internal/store/storetest"
	"agora/internal/stripepay/stripetest"
)

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AGORA_TEST_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run ./scripts/test (it installs it) or apt-get install chromium")
	}
	return p
}

// startChromium starts a headless Chromium for a test against s, closed when
// the test ends, and returns its context with step, which runs actions
// that return nothing, and read, which runs one that returns a string;
// both fail the test with the server's log.
func startChromium(t *testing.T, s *server) (context.Context, func(string, ...chromedp.Action[chromedp.Void]), func(string, chromedp.Action[string]) string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // a failsafe for a hung browser
	t.Cleanup(cancel)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("browser: %s: %v\n%s", what, err, s.log())
		}
	}
	read := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("browser: %s: %v\n%s", what, err, s.log())
		}
		return v
	}
	return ctx, step, read
}

func TestBrowserWalksAPurchase(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t, store.SQLite)
	mediaDir := t.TempDir()
	if code, out, errOut := run(t, "seed", "--db", dbURL, "--media", mediaDir, "--products", "24", "--categories", "6", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	db, err := store.Open(context.Background(), dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every variant buyable, so the first product shown can be bought.
	if _, err := db.Write.Exec("UPDATE variants SET stock = 50"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec("UPDATE products SET stock = 50"); err != nil {
		t.Fatal(err)
	}
	sm := stripetest.Start(t) // stripe-mock behind the stand-in: a fake of Stripe's paid API
	s := start(t, "app", "--db", dbURL, "--media", mediaDir, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--drain-delay", "0s",
		"--stripe-secret-key", "sk_test_browser", "--stripe-publishable-key", "pk_test_browser", "--stripe-api-base", sm.URL)

	ctx, step, read := startChromium(t, s)

	step("open a product from the home page",
		chromedp.Navigate(s.url+"/"),
		chromedp.Click(`a[href^="/products/"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`form[action="/cart/items"] button[type=submit]`))
	productURL := read("product URL", chromedp.Location())
	step("add to cart",
		chromedp.Click(`form[action="/cart/items"] button[type=submit]`),
		chromedp.WaitVisible(`a[href="/checkout"]`))
	cartText := read("cart page", chromedp.Text(`main`))
	// The header's cart count comes from /api/v1/session through app.js.
	step("cart count in the header",
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(`[data-cart-count]`))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-cart-count]").textContent.trim() === "1"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("header cart count never showed 1: %v", err)
	}
	step("fill in the checkout form and place the order",
		chromedp.Navigate(s.url+"/checkout"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "browser@example.com"),
		chromedp.SendKeys(`input[name="shipping_address.name"]`, "Bea Browser"),
		chromedp.SendKeys(`input[name="shipping_address.line1"]`, "Unter den Linden 1"),
		chromedp.SendKeys(`input[name="shipping_address.city"]`, "Berlin"),
		chromedp.SendKeys(`input[name="shipping_address.postal_code"]`, "10117"),
		chromedp.SetValue(`[name="shipping_address.country"]`, "DE"),
		chromedp.Click(`button[value=place]`),
		chromedp.WaitVisible(`.order-number`))
	confirmURL := read("confirmation URL", chromedp.Location())
	confirmation := read("confirmation page", chromedp.Text(`main`))
	if !strings.Contains(cartText, "€") {
		t.Errorf("cart page shows no price:\n%s", cartText)
	}
	m := regexp.MustCompile(`/orders/([0-9A-Z]{4}-[0-9A-Z]{4})$`).FindStringSubmatch(confirmURL)
	if m == nil {
		t.Fatalf("confirmation URL %q (from %s)", confirmURL, productURL)
	}
	if !strings.Contains(confirmation, m[1]) {
		t.Errorf("confirmation page does not show the order number %s:\n%s", m[1], confirmation)
	}
	var email string
	var lines int
	if err := db.Read.QueryRow(`SELECT o.email, (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) FROM orders o WHERE o.number = $1`, m[1]).Scan(&email, &lines); err != nil {
		t.Fatalf("order %s is not in the database: %v", m[1], err)
	}
	if email != "browser@example.com" || lines != 1 {
		t.Errorf("order %s: email %q, %d lines", m[1], email, lines)
	}

	step("buy again, by card",
		chromedp.Navigate(productURL),
		chromedp.Click(`form[action="/cart/items"] button[type=submit]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`a[href="/checkout"]`),
		chromedp.Navigate(s.url+"/checkout"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "card@example.com"),
		chromedp.SendKeys(`input[name="shipping_address.name"]`, "Bea Browser"),
		chromedp.SendKeys(`input[name="shipping_address.line1"]`, "Unter den Linden 1"),
		chromedp.SendKeys(`input[name="shipping_address.city"]`, "Berlin"),
		chromedp.SendKeys(`input[name="shipping_address.postal_code"]`, "10117"),
		chromedp.SetValue(`[name="shipping_address.country"]`, "DE"),
		chromedp.Click(`input[name=payment_method][value=card]`),
		chromedp.Click(`button[value=place]`),
		chromedp.WaitVisible(`[data-pay-fallback]`))
	payURL := read("payment page URL", chromedp.Location())
	// Once the page has loaded (Stripe.js failed or not), the fallback
	// must still be what the shopper sees.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the payment page never finished loading: %v", err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		form: !!document.querySelector("#pay-form"),
		formHidden: !!document.querySelector("#pay-form") && document.querySelector("#pay-form").hidden,
		fallback: !document.querySelector("[data-pay-fallback]").hidden,
		stripe: typeof window.Stripe})`))
	if err != nil {
		t.Fatal(err)
	}
	fallback := read("payment page fallback", chromedp.Text(`[data-pay-fallback]`))
	if !strings.Contains(payURL, "/checkout/pay/") {
		t.Fatalf("a card order led to %s, want its payment page", payURL)
	}
	if state != `{"form":true,"formHidden":true,"fallback":true,"stripe":"undefined"}` {
		t.Errorf("payment page without Stripe.js: %s; want the form there (an intent was made) but hidden, the fallback shown", state)
	}
	if !strings.Contains(fallback, "could not load") || !strings.Contains(fallback, "You have not been charged") {
		t.Errorf("the fallback does not say what happened:\n%s", fallback)
	}
	if sm.Created() != 1 {
		t.Errorf("%d payment intents created for one card order, want 1", sm.Created())
	}

	// Faceted navigation (issue 15): a category filtered by two facets,
	// then one of them removed, by clicking the links a shopper sees.
	// follow clicks a link and returns once the browser is on a new page.
	follow := func(what, sel string) {
		t.Helper()
		before := read(what, chromedp.Location())
		step(what, chromedp.Click(sel, chromedp.NodeVisible))
		for deadline := time.Now().Add(20 * time.Second); read(what, chromedp.Location()) == before; {
			if time.Now().After(deadline) { // a failsafe: each turn is a real check
				t.Fatalf("browser: %s: still on %s", what, before)
			}
			time.Sleep(20 * time.Millisecond) // the poll's pace, not a synchronization
		}
		step(what, chromedp.WaitReady(`body`))
	}
	activeFilters := func(what string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('ul.active-filters a[aria-label^="Remove filter"]').length`))
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
		return n
	}
	step("open a category",
		chromedp.Navigate(s.url+"/"),
		chromedp.Click(`a[href^="/categories/"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`aside.facets details.facet`))
	all := read("the category's count", chromedp.Text(`.toolbar .count`))
	follow("filter by a value of the first facet", `aside.facets details.facet:nth-of-type(1) li a`)
	if n := activeFilters("one filter"); n != 1 {
		t.Fatalf("after one facet value: %d active filters shown, want 1", n)
	}
	follow("and by a value of the second", `aside.facets details.facet:nth-of-type(2) li a:not(.selected)`)
	if n := activeFilters("two filters"); n != 2 {
		t.Fatalf("after two facet values: %d active filters shown, want 2", n)
	}
	two := read("two filters' URL", chromedp.Location())
	twoCount := read("two filters' count", chromedp.Text(`.toolbar .count`))
	follow("remove the first active filter", `ul.active-filters a[aria-label^="Remove filter"]`)
	if n := activeFilters("one filter left"); n != 1 {
		t.Fatalf("after removing one: %d active filters shown, want 1", n)
	}
	one := read("one filter's URL", chromedp.Location())
	if strings.Count(two, "=") != 2 || strings.Count(one, "=") != 1 {
		t.Errorf("filter URLs: %s with two filters, %s with one; want two and one parameters", two, one)
	}
	if leadingInt(twoCount) > leadingInt(all) || leadingInt(twoCount) == 0 {
		t.Errorf("counts: %q for the category, %q with two filters; want fewer but some", all, twoCount)
	}
}

// leadingInt is the number a text starts with ("24 products": 24).
func leadingInt(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
