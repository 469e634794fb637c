package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"agora/internal/csvio"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestLoginThenDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		email := s.user(t, staff.Owner)
		s.product(t, "Last Lamp", 2)
		b := s.browser(t)

		// Without a session every page sends the browser to the login,
		// keeping where it wanted to go.
		res := b.get("/admin/orders?status=paid")
		if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login?next=") {
			t.Fatalf("GET /admin/orders without a session: %d to %q, want 303 to the login", res.status, loc)
		}

		// A wrong password and an unknown e-mail get the same message.
		wrong := b.post("/admin/login", url.Values{"email": {email}, "password": {"not the password"}})
		unknown := b.post("/admin/login", url.Values{"email": {"nobody@shop.test"}, "password": {password}})
		if wrong.status != http.StatusBadRequest || unknown.status != http.StatusBadRequest {
			t.Fatalf("refused logins: %d and %d, want 400", wrong.status, unknown.status)
		}
		if problems(wrong.body) != problems(unknown.body) {
			t.Errorf("refused logins differ: %q vs %q", problems(wrong.body), problems(unknown.body))
		}

		b.postOK("/admin/login", url.Values{"email": {email}, "password": {password}, "next": {"/admin/orders?status=paid"}},
			"/admin/orders?status=paid")
		res = b.get("/admin/")
		if res.status != http.StatusOK {
			t.Fatalf("dashboard: %d", res.status)
		}
		mustContain(t, "dashboard", res.body, "Today", "This week", "Low stock", "Last Lamp", "LAST-LAMP", "Pat owner")

		// After signing out the session is gone.
		b.postOK("/admin/logout", url.Values{}, "/admin/login")
		if res := b.get("/admin/"); res.status != http.StatusSeeOther {
			t.Errorf("dashboard after sign-out: %d, want 303", res.status)
		}
	})
}

func TestLoginIsThrottled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		email := s.user(t, staff.Manager)
		b := s.browser(t)
		var last response
		for range staff.DefaultMaxFailures + 1 {
			last = b.post("/admin/login", url.Values{"email": {email}, "password": {"guess guess guess"}})
		}
		if last.status != http.StatusTooManyRequests {
			t.Fatalf("after %d failures: %d, want 429", staff.DefaultMaxFailures+1, last.status)
		}
		// Even the right password waits now.
		res := b.post("/admin/login", url.Values{"email": {email}, "password": {password}})
		if res.status != http.StatusTooManyRequests {
			t.Errorf("right password while throttled: %d, want 429", res.status)
		}
	})
}

var productIDRE = regexp.MustCompile(`^/admin/products/(\d+)\?`)

func TestManagerRunsAProduct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Manager)
		b.postOK("/admin/categories", url.Values{"name": {"Lamps"}, "parent_id": {"0"}}, "/admin/categories?done=created")
		catID := categoryID(t, s, "lamps")

		// Bad input comes back with a message next to each field.
		res := b.post("/admin/products", url.Values{"name": {""}, "status": {"active"}, "variants.sku": {"L-1"},
			"variants.price_cents": {"12,5€€"}, "variants.stock": {"-3"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("invalid product: %d, want 400", res.status)
		}
		mustContain(t, "invalid product", res.body, `id="f-variants-price-cents-error"`, `id="f-variants-stock-error"`)

		loc := b.postOK("/admin/products", url.Values{"name": {"Desk Lamp"}, "status": {"active"}, "category_ids": {catID},
			"description": {"Bright."}, "variants.sku": {"DL-1"}, "variants.price_cents": {"24,90"}, "variants.stock": {"7"},
			"variants.options": {"Colour: Black"}}, "/admin/products/")
		m := productIDRE.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("created product went to %q", loc)
		}
		id := m[1]
		page := b.get(loc)
		mustContain(t, "product page", page.body, "Desk Lamp", `value="24.90"`, `value="Colour: Black"`, "Created.")
		p, err := s.cat.ProductBySlug(t.Context(), "desk-lamp")
		if err != nil {
			t.Fatal(err)
		}
		if p.PriceCents != 2490 || len(p.Variants) != 1 || p.Variants[0].Stock != 7 {
			t.Fatalf("stored product: price %d, variants %+v", p.PriceCents, p.Variants)
		}
		vid := itoa(p.Variants[0].ID)

		// A price edit purges the product's pages, and only them.
		head := s.purgeHead(t)
		b.postOK("/admin/products/"+id+"/variants/"+vid, url.Values{"sku": {"DL-1"}, "name": {"Desk Lamp"},
			"options": {"Colour: Black"}, "price_cents": {"19.90"}, "stock": {"7"}}, "/admin/products/"+id+"?done=saved")
		tags, head := s.purgedSince(t, head)
		if !slices.Equal(tags, []string{"product-" + id}) {
			t.Errorf("price edit purged %v, want [product-%s]", tags, id)
		}
		if p, _ := s.cat.ProductByID(t.Context(), p.ID); p.PriceCents != 1990 {
			t.Errorf("price after edit: %d, want 1990", p.PriceCents)
		}

		// A bad price stays on its row with a message, nothing saved.
		res = b.post("/admin/products/"+id+"/variants/"+vid, url.Values{"sku": {"DL-1"}, "name": {"Desk Lamp"},
			"price_cents": {"12.5.0"}, "stock": {"7"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("bad price: %d, want 400", res.status)
		}
		mustContain(t, "bad price", res.body, `id="v`+vid+`-price_cents-error"`, `value="12.5.0"`)
		if tags, _ := s.purgedSince(t, head); len(tags) != 0 {
			t.Errorf("a refused edit purged %v", tags)
		}

		// A second variant.
		b.postOK("/admin/products/"+id+"/variants", url.Values{"sku": {"DL-2"}, "name": {"Desk Lamp white"},
			"options": {"Colour: White"}, "price_cents": {"21"}, "stock": {"3"}}, "/admin/products/"+id+"?done=created")
		res = b.post("/admin/products/"+id+"/variants", url.Values{"sku": {"DL-2"}, "name": {"Again"},
			"price_cents": {"21"}, "stock": {"3"}})
		if res.status == http.StatusSeeOther || !strings.Contains(res.body, `id="vnew-sku-error"`) {
			t.Errorf("duplicate SKU: %d, want the message on the SKU\n%s", res.status, problems(res.body))
		}

		// Images: two real PNGs uploaded, then the second moved first.
		red, blue := pngImage(t, 40, 30, color.RGBA{200, 0, 0, 255}), pngImage(t, 30, 40, color.RGBA{0, 0, 200, 255})
		for _, img := range [][]byte{red, blue} {
			b.redirected(b.upload("/admin/products/"+id+"/images", "../../etc/passwd", img), "upload",
				"/admin/products/"+id+"?done=uploaded")
		}
		p, _ = s.cat.ProductByID(t.Context(), p.ID)
		if len(p.Images) != 2 {
			t.Fatalf("images after two uploads: %+v", p.Images)
		}
		first, second := p.Images[0].Key, p.Images[1].Key
		if p.Images[1].Width != 30 || p.Images[1].Height != 40 {
			t.Errorf("second image is %d×%d, want 30×40", p.Images[1].Width, p.Images[1].Height)
		}
		b.postOK("/admin/products/"+id+"/images/move", url.Values{"key": {second}, "dir": {"up"}}, "/admin/products/"+id+"?done=moved")
		p, _ = s.cat.ProductByID(t.Context(), p.ID)
		if got := []string{p.Images[0].Key, p.Images[1].Key}; !slices.Equal(got, []string{second, first}) {
			t.Errorf("after moving up: %v, want [%s %s]", got, second, first)
		}
		if p.ImageKey != second {
			t.Errorf("listing picture %q, want the new first %q", p.ImageKey, second)
		}
		page = b.get("/admin/products/" + id)
		if strings.Index(page.body, second[:64]) > strings.Index(page.body, first[:64]) {
			t.Errorf("the page does not show the moved image first")
		}
		// The thumbnails the page shows are the small variants, and served.
		mustContain(t, "images", page.body, second[:64]+"-thumbnail.")
		for _, m := range regexp.MustCompile(`src="(/media/[^"]+)"`).FindAllStringSubmatch(page.body, -1) {
			if res, err := http.Get(s.srv.URL + m[1]); err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %v %v", m[1], err, res.Status)
			} else {
				res.Body.Close()
			}
		}

		// Not an image: a clear message, nothing added.
		res = b.upload("/admin/products/"+id+"/images", "notes.jpg", []byte("just some text, not a picture"))
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="f-file-error"`) {
			t.Errorf("text upload: %d, want 400 with a message on the file\n%s", res.status, problems(res.body))
		}
		b.postOK("/admin/products/"+id+"/images/remove", url.Values{"key": {first}}, "/admin/products/"+id+"?done=removed")
		if p, _ = s.cat.ProductByID(t.Context(), p.ID); len(p.Images) != 1 || p.Images[0].Key != second {
			t.Errorf("after removing: %+v", p.Images)
		}

		// Archive: gone from the shop, still in the admin list.
		b.postOK("/admin/products/"+id+"/archive", url.Values{}, "/admin/products/"+id+"?done=archived")
		list := b.get("/admin/products?status=archived")
		mustContain(t, "archived list", list.body, "Desk Lamp")
		if res := b.get("/admin/products?status=active&q=desk"); strings.Contains(res.body, "Desk Lamp") {
			t.Errorf("an archived product is listed as active")
		}
	})
}

func categoryID(t *testing.T, s *shop, slug string) string {
	t.Helper()
	c, _, err := s.cat.CategoryBySlug(t.Context(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return itoa(c.ID)
}

func TestRolesSeeAndDoOnlyWhatTheyMay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		p := s.product(t, "Blue Mug", 10)
		number := s.order(t, p.Variants[0].ID, 1)

		clerk := s.signIn(t, staff.Clerk)
		for _, path := range []string{"/admin/orders", "/admin/orders/" + number, "/admin/products", "/admin/products/" + itoa(p.ID)} {
			if res := clerk.get(path); res.status != http.StatusOK {
				t.Errorf("staff GET %s: %d, want 200", path, res.status)
			}
		}
		for _, path := range []string{"/admin/products/new", "/admin/settings", "/admin/api-keys", "/admin/customers", "/admin/discounts"} {
			if res := clerk.get(path); res.status != http.StatusForbidden {
				t.Errorf("staff GET %s: %d, want 403", path, res.status)
			}
		}
		res := clerk.post("/admin/orders/"+number+"/status", url.Values{"status": {"cancelled"}})
		if res.status != http.StatusForbidden {
			t.Errorf("staff cancelling: %d, want 403", res.status)
		}
		// The pages offer nothing the role may not do.
		order := clerk.get("/admin/orders/" + number)
		if strings.Contains(order.body, "Cancel order") {
			t.Errorf("the order page offers staff a status change")
		}
		dash := clerk.get("/admin/")
		if strings.Contains(dash.body, `href="/admin/settings"`) || strings.Contains(dash.body, `href="/admin/products/new"`) {
			t.Errorf("staff navigation links pages the role may not open")
		}

		manager := s.signIn(t, staff.Manager)
		if res := manager.get("/admin/settings"); res.status != http.StatusForbidden {
			t.Errorf("manager GET /admin/settings: %d, want 403", res.status)
		}
		if res := manager.get("/admin/products/new"); res.status != http.StatusOK {
			t.Errorf("manager GET /admin/products/new: %d, want 200", res.status)
		}
		owner := s.signIn(t, staff.Owner)
		if res := owner.get("/admin/settings"); res.status != http.StatusOK {
			t.Errorf("owner GET /admin/settings: %d, want 200", res.status)
		}
	})
}

func TestCancelRestocksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		p := s.product(t, "Green Vase", 5)
		vid := p.Variants[0].ID
		number := s.order(t, vid, 2)
		if got := s.stock(t, vid); got != 3 {
			t.Fatalf("stock after the order: %d, want 3", got)
		}
		b := s.signIn(t, staff.Manager)
		page := b.get("/admin/orders/" + number)
		mustContain(t, "order page", page.body, "Green Vase", "Kim Lee", "Awaiting payment", `value="paid"`, `value="cancelled"`)
		if strings.Contains(page.body, `value="refunded"`) {
			t.Errorf("an unpaid order offers a refund")
		}

		b.postOK("/admin/orders/"+number+"/status", url.Values{"status": {"cancelled"}, "note": {"customer asked"}},
			"/admin/orders/"+number+"?done=status")
		if got := s.stock(t, vid); got != 5 {
			t.Errorf("stock after cancelling: %d, want 5", got)
		}
		// A second cancel (a double click, a stale tab) is refused and
		// restocks nothing.
		res := b.post("/admin/orders/"+number+"/status", url.Values{"status": {"cancelled"}})
		if res.status != http.StatusConflict {
			t.Errorf("second cancel: %d, want 409", res.status)
		}
		if got := s.stock(t, vid); got != 5 {
			t.Errorf("stock after the second cancel: %d, want 5", got)
		}
		page = b.get("/admin/orders/" + number)
		mustContain(t, "cancelled order", page.body, "Cancelled", "customer asked", "put back in stock")
		if strings.Contains(page.body, `name="status"`) {
			t.Errorf("a cancelled order still offers status changes")
		}

		list := b.get("/admin/orders?status=cancelled&q=" + url.QueryEscape(strings.ToLower(number[:4])))
		mustContain(t, "filtered orders", list.body, number)
		if res := b.get("/admin/orders?status=paid"); strings.Contains(res.body, number) {
			t.Errorf("the paid filter lists a cancelled order")
		}
	})
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	s := newShop(t, storetest.Open(t, store.SQLite))
	b := s.signIn(t, staff.Owner)
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/admin/discounts",
		strings.NewReader(url.Values{"code": {"FREE"}, "kind": {"percent"}, "value": {"100"}, "active": {"on"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := b.send(req); res.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", res.status)
	}
	if res := b.get("/admin/discounts"); strings.Contains(res.body, "FREE") {
		t.Errorf("the cross-site POST created a code")
	}
}

func TestSettingsDiscountsAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Owner)

		// Settings: one wrong line is named, nothing saved.
		res := b.post("/admin/settings", url.Values{"currency": {"EUR"}, "prices_include_tax": {"true"},
			"default_tax_rate": {"20"}, "tax_rates": {"DE 19\nXX1 7"}, "ship.0.code": {"standard"},
			"ship.0.name": {"Standard"}, "ship.0.price": {"4.95"}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "Line 2") {
			t.Errorf("bad tax line: %d, want 400 naming line 2\n%s", res.status, problems(res.body))
		}
		b.postOK("/admin/settings", url.Values{"currency": {"chf"}, "prices_include_tax": {"false"},
			"default_tax_rate": {"8,1"}, "tax_rates": {"CH 8.1\nDE: 19 %"}, "countries": {"ch, de"},
			"ship.0.code": {"standard"}, "ship.0.name": {"Post"}, "ship.0.price": {"7"}, "ship.0.free_over": {"100"},
			"ship.1.code": {""}, "ship.1.name": {""}, "ship.1.price": {""}}, "/admin/settings?done=saved")
		st, err := s.co.Settings(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Currency != "CHF" || st.PricesIncludeTax || st.DefaultTaxRate != 810 || st.TaxRates["DE"] != 1900 ||
			len(st.Shipping) != 1 || st.Shipping[0].PriceCents != 700 || st.Shipping[0].FreeOverCents != 10000 ||
			!slices.Equal(st.Countries, []string{"CH", "DE"}) {
			t.Errorf("saved settings: %+v", st)
		}
		mustContain(t, "settings page", b.get("/admin/settings").body, "CH 8.1", "DE 19", `value="7.00"`)

		// Discounts.
		res = b.post("/admin/discounts", url.Values{"code": {"BAD CODE"}, "kind": {"percent"}, "value": {"150"}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="f-code-error"`) {
			t.Errorf("bad code: %d\n%s", res.status, problems(res.body))
		}
		b.postOK("/admin/discounts", url.Values{"code": {"spring10"}, "kind": {"percent"}, "value": {"10"},
			"ends_at": {"2030-06-01"}, "usage_limit": {"100"}, "active": {"on"}}, "/admin/discounts?done=created")
		mustContain(t, "discounts", b.get("/admin/discounts").body, "SPRING10", "10 %", "until 1 Jun 2030", "0 / 100")

		// API keys: shown once, then only the prefix; revoked at once.
		res = b.post("/admin/api-keys", url.Values{"name": {"ERP sync"}})
		key := regexp.MustCompile(`agk_[A-Za-z0-9_-]{43}`).FindString(res.body)
		if res.status != http.StatusCreated || key == "" {
			t.Fatalf("create key: %d, key %q", res.status, key)
		}
		if strings.Contains(b.get("/admin/api-keys").body, key) {
			t.Errorf("the key is shown again")
		}
		if _, err := s.staff.ByAPIKey(t.Context(), key); err != nil {
			t.Fatalf("the new key does not work: %v", err)
		}
		keys, _ := s.staff.APIKeys(t.Context())
		b.postOK("/admin/api-keys/"+itoa(keys[0].ID)+"/revoke", url.Values{}, "/admin/api-keys?done=revoked")
		if _, err := s.staff.ByAPIKey(t.Context(), key); err == nil {
			t.Errorf("a revoked key still works")
		}
	})
}

func TestCategoryTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Manager)
		b.postOK("/admin/categories", url.Values{"name": {"Home"}, "parent_id": {"0"}}, "/admin/categories")
		home := categoryID(t, s, "home")
		b.postOK("/admin/categories", url.Values{"name": {"Kitchen"}, "parent_id": {home}}, "/admin/categories")
		b.postOK("/admin/categories", url.Values{"name": {"Garden"}, "parent_id": {"0"}}, "/admin/categories")
		kitchen, garden := categoryID(t, s, "kitchen"), categoryID(t, s, "garden")

		res := b.post("/admin/categories/"+home+"/delete", url.Values{})
		if res.status == http.StatusSeeOther {
			t.Fatalf("deleted a category with a subcategory")
		}
		// Move Kitchen under Garden and rename it.
		b.postOK("/admin/categories/"+kitchen, url.Values{"name": {"Kitchen garden"}, "slug": {"kitchen"},
			"parent_id": {garden}, "position": {"2"}}, "/admin/categories?done=saved")
		c, crumbs, err := s.cat.CategoryBySlug(t.Context(), "kitchen")
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Kitchen garden" || itoa(c.ParentID) != garden || len(crumbs) == 0 {
			t.Errorf("after the move: %+v under %v", c, crumbs)
		}
		mustContain(t, "tree", b.get("/admin/categories").body, "Kitchen garden", "Garden")
		res = b.post("/admin/categories/"+home+"/delete", url.Values{})
		b.redirected(res, "delete an empty category", "/admin/categories?done=deleted")
		if _, _, err := s.cat.CategoryBySlug(t.Context(), "home"); err == nil {
			t.Errorf("the deleted category is still there")
		}
	})
}

// TestRefundFromTheOrderPage: a manager refunds a paid order from its page,
// one unit of its line: the form carries an idempotency key, so sending it
// twice (a double click) refunds once; the unit goes back to stock; the
// refund is listed; asking for more units than are left says so next to
// the lines and changes nothing. The status buttons offer no bare
// "refunded": a refund goes through the form.
func TestRefundFromTheOrderPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		p := s.product(t, "Blue Jug", 5)
		vid := p.Variants[0].ID
		number := s.order(t, vid, 2)
		b := s.signIn(t, staff.Manager)
		b.postOK("/admin/orders/"+number+"/status", url.Values{"status": {"paid"}}, "/admin/orders/"+number+"?done=status")
		page := b.get("/admin/orders/" + number)
		mustContain(t, "paid order page", page.body, `action="/admin/orders/`+number+`/refunds"`, `name="qty-1"`, `max="2"`)
		if strings.Contains(page.body, `value="refunded"`) {
			t.Errorf("the status buttons still offer refunded, which would give no money back")
		}
		key := refundKey.FindStringSubmatch(page.body)
		if key == nil {
			t.Fatalf("no idempotency key in the refund form:\n%s", page.body)
		}
		form := url.Values{"key": {key[1]}, "qty-1": {"1"}, "note": {"one was chipped"}}
		b.postOK("/admin/orders/"+number+"/refunds", form, "/admin/orders/"+number+"?done=refund")
		b.postOK("/admin/orders/"+number+"/refunds", form, "/admin/orders/"+number+"?done=refund") // a double click
		if got := s.stock(t, vid); got != 4 {
			t.Errorf("stock after giving back one unit (sent twice): %d, want 4", got)
		}
		page = b.get("/admin/orders/" + number + "?done=refund")
		mustContain(t, "order page after the refund", page.body, "The refund is made", "line 1 ×1", "one was chipped", "succeeded", "Partially refunded", `max="1"`)
		if n := strings.Count(page.body, "data-refund="); n != 1 {
			t.Errorf("%d refunds listed after a double submit, want 1", n)
		}

		key = refundKey.FindStringSubmatch(page.body)
		res := b.post("/admin/orders/"+number+"/refunds", url.Values{"key": {key[1]}, "qty-1": {"5"}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "1 can be given back, not 5") {
			t.Errorf("five units of one left: %d, want 400 saying how many are left", res.status)
		}
		res = b.post("/admin/orders/"+number+"/refunds", url.Values{"key": {key[1]}, "amount": {"twelve"}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "such as 12.50") {
			t.Errorf("an amount in words: %d, want 400 with an example", res.status)
		}
		if got := s.stock(t, vid); got != 4 {
			t.Errorf("stock after refused refunds: %d, want 4", got)
		}
	})
}

var refundKey = regexp.MustCompile(`<input type="hidden" name="key" value="([^"]+)">`)

var staffIDRe = regexp.MustCompile(`<tr data-staff="mia@shop.test">[\s\S]*?action="/admin/staff/(\d+)/role"`)
var newPasswordRe = regexp.MustCompile(`value="([^"]+)" aria-label="The new account's password"`)

// TestStaffPage: an owner adds a manager (the password shown once signs
// in), and disables them: the manager's open session ends on the next
// request; re-enabled, they sign in again. The last owner cannot be
// demoted, and a manager cannot open the page.
func TestStaffPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		owner := s.signIn(t, staff.Owner)
		page := owner.get("/admin/staff")
		mustContain(t, "staff page", page.body, "owner@shop.test", `href="/admin/staff" aria-current="page"`, "(you)")
		res := owner.post("/admin/staff", url.Values{"email": {"mia@shop.test"}, "name": {"Mia Manager"}, "role": {"manager"}})
		m := newPasswordRe.FindStringSubmatch(res.body)
		if res.status != http.StatusCreated || m == nil {
			t.Fatalf("add a manager: %d\n%s", res.status, problems(res.body))
		}
		mia := s.browser(t)
		mia.postOK("/admin/login", url.Values{"email": {"mia@shop.test"}, "password": {m[1]}}, "/admin/")
		if res := mia.get("/admin/products"); res.status != http.StatusOK {
			t.Fatalf("the new manager's first page: %d", res.status)
		}
		if res := mia.get("/admin/staff"); res.status != http.StatusForbidden {
			t.Errorf("a manager opens the staff page: %d, want 403", res.status)
		}
		if res := owner.post("/admin/staff", url.Values{"email": {"MIA@shop.test"}, "name": {"Again"}, "role": {"staff"}}); res.status != http.StatusConflict || !strings.Contains(res.body, "already exists") {
			t.Errorf("adding the same address twice: %d", res.status)
		}

		id := staffIDRe.FindStringSubmatch(owner.get("/admin/staff").body)
		if id == nil {
			t.Fatal("the staff page has no role form for mia")
		}
		owner.postOK("/admin/staff/"+id[1]+"/disable", nil, "/admin/staff?done=staff-disabled")
		if res := mia.get("/admin/products"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/login") {
			t.Errorf("a disabled manager's next request: %d to %q, want the login page", res.status, res.header.Get("Location"))
		}
		owner.postOK("/admin/staff/"+id[1]+"/enable", nil, "/admin/staff?done=staff-enabled")
		mia.postOK("/admin/login", url.Values{"email": {"mia@shop.test"}, "password": {m[1]}}, "/admin/")

		// Nobody changes their own role here, so an owner cannot demote
		// the store's last owner by accident; the page offers no such
		// form, and a forged POST is refused with the reason.
		me := s.staffID(t, "owner@shop.test")
		if strings.Contains(owner.get("/admin/staff").body, fmt.Sprintf(`action="/admin/staff/%d/role"`, me)) {
			t.Error("the staff page offers an owner a form to change their own role")
		}
		res = owner.post(fmt.Sprintf("/admin/staff/%d/role", me), url.Values{"role": {"manager"}})
		if res.status != http.StatusConflict || !strings.Contains(res.body, "You cannot change your own role") {
			t.Errorf("an owner demoting themselves: %d", res.status)
		}
		res = owner.post(fmt.Sprintf("/admin/staff/%d/disable", me), nil)
		if res.status != http.StatusConflict || !strings.Contains(res.body, "You cannot disable your own account") {
			t.Errorf("an owner disabling themselves: %d", res.status)
		}
	})
}

// TestExportFromTheAdmin: any staff member downloads the catalog as the
// CSV agora import reads, the same file agora export writes.
func TestExportFromTheAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.product(t, "Green Vase", 5)
		clerk := s.signIn(t, staff.Clerk)
		mustContain(t, "products page", clerk.get("/admin/products").body, `href="/admin/products/export.csv"`)
		res := clerk.get("/admin/products/export.csv")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %q %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
		}
		var want bytes.Buffer
		if err := csvio.Export(context.Background(), db, &want); err != nil {
			t.Fatal(err)
		}
		if res.body != want.String() || !strings.Contains(res.body, "Green Vase") {
			t.Errorf("the admin's export differs from agora export's:\n%s", res.body)
		}
	})
}
