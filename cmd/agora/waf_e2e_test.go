package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestWAFNoFalsePositives: `agora up --waf block` (the default) in front
// of the seeded store lets all of its own traffic through — the load
// tool's shopper mix, registration and login with a password full of
// quotes and brackets, a checkout through the forms with an Irish address,
// staff signing in and editing a product's HTML description, price and
// images through the admin and its API — and the firewall refuses none;
// cache hits never reach it; and an attack gets the 403 with the id its
// log line carries.
func TestWAFNoFalsePositives(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "30", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	const staffPW = `Own3r P@ss'word"1<>`
	cmd := exec.Command(binary, "user", "create", "--db", db, "--email", "owner@example.com", "--name", "Olivia", "--role", "owner", "--password-stdin")
	cmd.Env, cmd.Stdin = cleanEnv(), strings.NewReader(staffPW+"\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user create: %v %s", err, out)
	}
	code, keyOut, errOut := run(t, "apikey", "create", "--db", db, "--email", "owner@example.com", "--name", "waf e2e")
	m := printedKey.FindStringSubmatch(keyOut)
	if code != 0 || m == nil {
		t.Fatalf("apikey create: %d %q %s", code, keyOut, errOut)
	}
	key := m[1]
	s := start(t, "up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--drain-delay", "0s", "--waf", "block", "--min", "1",
		// Password hashing under the race detector on a shared machine
		// can outlast the default 10 s for a response head.
		"--response-header-timeout", "90s")
	admin := adminAttr.FindStringSubmatch(s.ready)[1]

	// The shopper mix, checkouts included, through the JSON API. A long
	// timeout: the rules run under the race detector here, on a shared
	// machine; what this test counts is refusals, not speed.
	code, stdout, stderr := run(t, "loadtest", "--target", s.url, "--rate", "6", "--duration", "5s", "--seed", "7", "--timeout", "90s",
		"--mix", "home=2,category=2,product=4,search=2,cart=6,checkout=4")
	if code != 0 || !strings.Contains(stdout, "failures: none") {
		t.Fatalf("loadtest through the firewall: exit %d\n%s\n%s\n%s", code, stdout, stderr, s.log())
	}

	const pw = `P@ss'word"1<>`
	shop := newBrowser(t, s.url)
	shop.ok("POST", "/account/register", url.Values{"name": {"Seán O'Brien"}, "email": {"sean@example.com"}, "password": {pw}})
	shop.ok("POST", "/account/logout", url.Values{})
	shop.ok("POST", "/account/login", url.Values{"email": {"sean@example.com"}, "password": {pw}})
	variant := inStockItems(t, s.url, 1)[0].variant
	shop.ok("POST", "/cart/items", url.Values{"variant_id": {strconv.FormatInt(variant, 10)}, "quantity": {"1"}})
	_, page := shop.ok("GET", "/checkout", nil)
	idem := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if idem == nil {
		t.Fatalf("no idempotency key on the checkout page:\n%s", page)
	}
	st, _ := shop.ok("POST", "/checkout", url.Values{"email": {"sean@example.com"}, "shipping_method": {"standard"}, "payment_method": {"manual"},
		"shipping_address.name": {"Seán O'Brien"}, "shipping_address.line1": {"Flat 2; 3rd floor, 1 O'Connell St. & Sons"},
		"shipping_address.line2": {`c/o "The Shop" -- rear door`}, "shipping_address.city": {"Dublin"}, "shipping_address.postal_code": {"D01 F5P2"},
		"shipping_address.country": {"IE"}, "idempotency_key": {idem[1]}, "action": {"place"}})
	if st != http.StatusSeeOther {
		t.Errorf("checkout: %d, want 303 to the order", st)
	}
	api := newBrowser(t, s.url)
	api.json("POST", "/api/v1/customers", `{"email":"kim@example.com","name":"Kim \"KC\" O'Neil","password":"P@ss'word\"1<>"}`)
	api.json("POST", "/api/v1/session", `{"email":"kim@example.com","password":"P@ss'word\"1<>"}`)

	// Staff: sign in, edit a product's description (HTML), price and images.
	p := firstProduct(t, s.url, key)
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	adminDo(t, "GET", s.url+"/api/v1/admin/products?per_page=1", key, "", &list)
	id := strconv.FormatInt(list.Items[0].ID, 10)
	staff := newBrowser(t, s.url)
	staff.ok("POST", "/admin/login", url.Values{"email": {"owner@example.com"}, "password": {staffPW}})
	desc := `<h2>Care</h2><p>Soft <b>organic</b> cotton; <a href="https://example.com/care?x=1&y=2">care guide</a>. Don't tumble-dry — "select" the wool cycle, or DROP it off at 30°C.</p><ul><li>Size 'M' = 1=1 fit</li></ul>`
	staff.ok("POST", "/admin/products/"+id, url.Values{"name": {"The Classic Tee"}, "slug": {p.Slug}, "brand": {"Agora & Co."}, "status": {"active"}, "description": {desc}})
	vid := strconv.FormatInt(p.Variants[0].ID, 10)
	staff.ok("POST", "/admin/products/"+id+"/variants/"+vid, url.Values{"sku": {"TEE-1"}, "name": {"The Classic Tee"}, "options": {"Size: M"}, "price_cents": {"19.90"}, "stock": {"7"}})
	staff.upload("/admin/products/"+id+"/images", mediaPicture(t, 64, 48))
	adminDo(t, "PATCH", s.url+"/api/v1/admin/products/"+id, key, `{"description":"<p>It's cut 'slim' -- size up; <i>select</i> from 3 sizes.</p><img src=\"/media/a.jpg\" alt=\"tee\">"}`, nil)
	adminDo(t, "PATCH", s.url+"/api/v1/admin/variants/"+vid, key, `{"price_cents":2490}`, nil)

	before := edgeStatus(t, admin)
	if before.WAF == nil || before.WAF.Blocked != 0 || before.WAF.Detected != 0 || before.WAF.Inspected < 50 {
		t.Fatalf("firewall after the store's traffic: %+v; want many inspected, none blocked:\n%s", before.WAF, s.log())
	}

	// Hits: the firewall sees none of them.
	home := s.url + "/"
	get(t, home)
	before = edgeStatus(t, admin)
	for range 20 {
		if resp, _ := get(t, home); !isHit(resp) {
			t.Fatalf("home page: %q, want a hit", resp.Header.Get("Cache-Status"))
		}
	}
	after := edgeStatus(t, admin)
	if after.WAF.Inspected != before.WAF.Inspected || after.Hits < before.Hits+20 {
		t.Errorf("20 hits: inspected %d → %d, hits %d → %d; want the firewall untouched", before.WAF.Inspected, after.WAF.Inspected, before.Hits, after.Hits)
	}

	// An attack: 403, its request id in the page and in the log line.
	resp, body := get(t, s.url+"/search?q="+url.QueryEscape("<script>alert(document.cookie)</script>"))
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusForbidden || rid == "" || !strings.Contains(body, rid) {
		t.Fatalf("attack: %d, id %q:\n%s", resp.StatusCode, rid, body)
	}
	s.waitLog(t, rid)
	for l := range strings.SplitSeq(s.log(), "\n") {
		if strings.Contains(l, rid) && (!strings.Contains(l, "waf: blocked request") || !strings.Contains(l, "941")) {
			t.Errorf("log line for the attack: %s", l)
		}
	}
	for _, secret := range []string{pw, staffPW, "agora_session=", "agora_admin="} {
		if strings.Contains(s.log(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	s.stop(t)
}

// browser is a client with a cookie jar that does not follow redirects,
// and fails the test on any answer of 400 or more.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		b.t.Errorf("%s %s: %d (X-Request-Id %s)\n%s", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("X-Request-Id"), raw)
	}
	return resp.StatusCode, string(raw)
}

// ok sends a form (POST) or nothing (GET).
func (b *browser) ok(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.do(req)
}

func (b *browser) json(method, path, body string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if st, raw := b.do(req); st >= 300 && json.Valid([]byte(raw)) {
		b.t.Errorf("%s %s: %d", method, path, st)
	}
}

// upload posts a JPEG as the form field "file", as the admin's form does.
func (b *browser) upload(path string, jpeg []byte) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="tee front.jpg"`}
	h["Content-Type"] = []string{"image/jpeg"}
	part, err := mw.CreatePart(h)
	if err != nil {
		b.t.Fatal(err)
	}
	part.Write(jpeg)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if st, _ := b.do(req); st != http.StatusSeeOther {
		b.t.Errorf("upload: %d, want 303", st)
	}
}
