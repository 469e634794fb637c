package storefront_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/session"
	"agora/internal/store"
	"agora/internal/storefront"
)

// shopping is the shop of newShop with its shopping pages mounted.
type shopping struct {
	*shop
	db  *store.DB
	srv *httptest.Server
}

func newShopping(t *testing.T, db *store.DB) *shopping {
	t.Helper()
	base := newShop(t, db)
	h := &storefront.Handler{
		Catalog:   base.h.Catalog,
		PublicURL: "https://shop.example",
		StoreName: "Test Shop",
		Sessions:  &session.Manager{DB: db},
		Customers: &customer.Service{DB: db, PublicURL: "https://shop.example"},
		Carts:     &cart.Service{DB: db},
		Checkout:  &checkout.Service{DB: db},
		// One order to a page of the account's history, so two page.
		OrdersPerPage: 1,
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &shopping{shop: base, db: db, srv: srv}
}

// shopper is one browser: its own cookie jar, redirects not followed so
// each answer can be checked.
type shopper struct {
	t   *testing.T
	s   *shopping
	c   *http.Client
	url *url.URL
}

func (s *shopping) shopper(t *testing.T) *shopper {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.srv.URL)
	return &shopper{t: t, s: s, url: u, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *shopper) do(method, path string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if cc := res.Header.Get("Cache-Control"); cc != cachehdr.Private {
		b.t.Errorf("%s %s: Cache-Control %q, want %q", method, path, cc, cachehdr.Private)
	}
	return response{res.StatusCode, res.Header, string(data)}
}

func (b *shopper) get(path string) response { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

func (b *shopper) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

// postOK posts a form that must succeed with a redirect to want ("" for
// any), and returns where it went.
func (b *shopper) postOK(path string, form url.Values, want string) string {
	b.t.Helper()
	res := b.post(path, form)
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || (want != "" && loc != want) {
		b.t.Fatalf("POST %s: status %d, Location %q, want 303 to %q\n%s", path, res.status, loc, want, errorsIn(res.body))
	}
	return loc
}

// sessionCookie is the shopper's session cookie value, or "".
func (b *shopper) sessionCookie() string {
	for _, c := range b.c.Jar.Cookies(b.url) {
		if c.Name == session.CookieName {
			return c.Value
		}
	}
	return ""
}

// errorsIn extracts the messages a page shows, for test failure output.
func errorsIn(body string) string {
	var out []string
	for _, m := range regexp.MustCompile(`class="(?:alert|field-error)[^"]*"[^>]*>([^<]*)`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return strings.Join(out, " | ")
}

// fieldError returns the message shown next to the input named name.
func fieldError(body, name string) string {
	id := "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(name)
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// inputValue returns the value attribute of the input named name.
func inputValue(body, name string) (string, bool) {
	m := regexp.MustCompile(`<input [^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func (s *shopping) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (s *shopping) variant(slug string, i int) string {
	return strconv.FormatInt(s.prod[slug].Variants[i].ID, 10)
}

// checkoutForm is a valid checkout for a guest, with the key the page
// handed out.
func checkoutForm(key string) url.Values {
	return url.Values{
		"email":                        {"ada@example.com"},
		"shipping_address.name":        {"Ada Lovelace"},
		"shipping_address.line1":       {"Hauptstraße 1"},
		"shipping_address.city":        {"Berlin"},
		"shipping_address.postal_code": {"10115"},
		"shipping_address.country":     {"de"},
		"shipping_method":              {"standard"},
		"payment_method":               {"manual"},
		"idempotency_key":              {key},
		"action":                       {"place"},
	}
}

var keyRE = regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]{32})"`)

// checkoutKey opens the checkout page and returns its idempotency key.
func (b *shopper) checkoutKey() string {
	b.t.Helper()
	res := b.get("/checkout")
	if res.status != 200 {
		b.t.Fatalf("GET /checkout: status %d", res.status)
	}
	m := keyRE.FindStringSubmatch(res.body)
	if m == nil {
		b.t.Fatal("the checkout form has no idempotency key")
	}
	return m[1]
}
