package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"agora/internal/app"
	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/media"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
)

// password is every test account's password.
const password = "correct horse battery"

// shop is a whole app-tier server (middleware included: cross-origin
// protection, body limits) with the admin mounted, on loopback.
type shop struct {
	db    *store.DB
	srv   *httptest.Server
	cat   *catalog.Catalog
	co    *checkout.Service
	carts *cart.Service
	staff *staff.Service
}

func newShop(t *testing.T, db *store.DB) *shop {
	t.Helper()
	m, err := media.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &shop{db: db, cat: catalog.New(db), co: &checkout.Service{DB: db},
		carts: &cart.Service{DB: db}, staff: &staff.Service{DB: db, Log: quiet}}
	srv, err := app.New(app.Config{}, app.Deps{DB: db, Catalog: s.cat, Media: m, Log: quiet,
		Sessions: &session.Manager{DB: db}, Customers: &customer.Service{DB: db}, Carts: s.carts,
		Checkout: s.co, Staff: s.staff})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(s.srv.Close)
	return s
}

// user creates a staff account of role and returns its e-mail.
func (s *shop) user(t *testing.T, role staff.Role) string {
	t.Helper()
	email := string(role) + "@shop.test"
	if _, err := s.staff.Create(context.Background(), email, "Pat "+string(role), role, password); err != nil {
		t.Fatal(err)
	}
	return email
}

// staffID is the id of the account with email.
func (s *shop) staffID(t *testing.T, email string) int64 {
	t.Helper()
	st, err := s.staff.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return st.ID
}

// browser is one member of staff's browser: its own cookie jar, redirects
// not followed so each answer can be checked.
type browser struct {
	t *testing.T
	s *shop
	c *http.Client
}

func (s *shop) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, s: s, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn logs in as email and checks the dashboard answers.
func (s *shop) signIn(t *testing.T, role staff.Role) *browser {
	t.Helper()
	email := s.user(t, role)
	b := s.browser(t)
	b.postOK("/admin/login", url.Values{"email": {email}, "password": {password}}, "/admin/")
	return b
}

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) send(req *http.Request) response {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	// Every admin answer is about one member of staff.
	if cc := res.Header.Get("Cache-Control"); cc != cachehdr.Private {
		b.t.Errorf("%s %s: Cache-Control %q, want %q", req.Method, req.URL.Path, cc, cachehdr.Private)
	}
	return response{res.StatusCode, res.Header, string(data)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

// postOK posts a form that must succeed with a redirect to a URL starting
// with want, and returns the Location.
func (b *browser) postOK(path string, form url.Values, want string) string {
	b.t.Helper()
	return b.redirected(b.post(path, form), "POST "+path, want)
}

func (b *browser) redirected(res response, what, want string) string {
	b.t.Helper()
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, want) {
		b.t.Fatalf("%s: status %d, Location %q, want 303 to %q…\n%s", what, res.status, loc, want, problems(res.body))
	}
	return loc
}

// upload posts data as the multipart field "file".
func (b *browser) upload(path, filename string, data []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.send(req)
}

var problemRE = regexp.MustCompile(`class="(?:field-error|alert)"[^>]*>([^<]*)<`)

// problems lists the messages a page shows, for failure output.
func problems(body string) string {
	var out []string
	for _, m := range problemRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		if len(body) > 400 {
			body = body[:400]
		}
		return body
	}
	return strings.Join(out, " | ")
}

// pngImage is a real PNG of w×h pixels in one colour.
func pngImage(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// product creates an active product with one variant of stock.
func (s *shop) product(t *testing.T, name string, stock int) *catalog.Product {
	t.Helper()
	p, err := s.cat.CreateProduct(context.Background(), catalog.NewProduct{Name: name,
		Variants: []catalog.NewVariant{{SKU: strings.ToUpper(strings.ReplaceAll(name, " ", "-")), PriceCents: 1000, Stock: stock}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// order places a guest order of qty of variantID and returns its number.
func (s *shop) order(t *testing.T, variantID int64, qty int) string {
	t.Helper()
	return s.orderBy(t, "kim@example.com", variantID, qty)
}

// orderBy is order with the e-mail the shopper typed.
func (s *shop) orderBy(t *testing.T, email string, variantID int64, qty int) string {
	t.Helper()
	ctx := context.Background()
	var raw [32]byte
	rand.Read(raw[:])
	h := hex.EncodeToString(raw[:])
	now := time.Now().UTC()
	if _, err := s.db.Write.Exec(`INSERT INTO sessions (id_hash, customer_id, created_at, expires_at) VALUES ($1, NULL, $2, $3)`,
		h, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	o := cart.Owner{SessionHash: h}
	if _, err := s.carts.Add(ctx, o, variantID, qty); err != nil {
		t.Fatal(err)
	}
	placed, _, err := s.co.Place(ctx, checkout.Request{Email: email, IdempotencyKey: h, Cart: o, SessionHash: h,
		ShippingAddress: customer.Address{Name: "Kim Lee", Line1: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", Country: "DE"}})
	if err != nil {
		t.Fatal(err)
	}
	return placed.Number
}

// stock reads a variant's stock.
func (s *shop) stock(t *testing.T, variantID int64) int {
	t.Helper()
	var n int
	if err := s.db.Write.QueryRow(`SELECT stock FROM variants WHERE id = $1`, variantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// purgedSince returns the tags appended to the purge log after seq, and
// the new head.
func (s *shop) purgedSince(t *testing.T, seq int64) ([]string, int64) {
	t.Helper()
	rows, err := s.db.Write.Query(`SELECT seq, tags FROM purge_log WHERE seq > $1 ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tags []string
	for rows.Next() {
		var tg string
		if err := rows.Scan(&seq, &tg); err != nil {
			t.Fatal(err)
		}
		tags = append(tags, strings.Fields(tg)...)
	}
	return tags, seq
}

func (s *shop) purgeHead(t *testing.T) int64 {
	t.Helper()
	var seq int64
	if err := s.db.Write.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM purge_log`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: want %q on the page; it shows: %s", what, w, problems(body))
		}
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }
