package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"agora/internal/app"
	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/media"
	"agora/internal/purge"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// adminShop is the whole app tier (app.New: storefront, public API, admin
// API) over one database and a media directory, on loopback, with an
// owner's and a clerk's API key.
type adminShop struct {
	db          *store.DB
	srv         *httptest.Server
	staff       *staff.Service
	clothing    catalog.Category
	owner       staff.Staff
	ownerKey    string // role owner
	clerkKey    string // role staff: reads orders and the catalog, changes nothing
	ownerKeyRow staff.APIKey
}

func newAdminShop(t *testing.T, db *store.DB) *adminShop {
	t.Helper()
	ctx := context.Background()
	cat := catalog.New(db)
	clothing, err := cat.CreateCategory(ctx, catalog.NewCategory{Name: "Clothing"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := media.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	a := &adminShop{db: db, clothing: clothing, staff: &staff.Service{DB: db, Log: slog.New(slog.DiscardHandler)}}
	a.owner, err = a.staff.Create(ctx, "olga@example.com", "Olga Owner", staff.Owner, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	clerk, err := a.staff.Create(ctx, "carl@example.com", "Carl Clerk", staff.Clerk, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if a.ownerKey, a.ownerKeyRow, err = a.staff.CreateAPIKey(ctx, a.owner.ID, "script"); err != nil {
		t.Fatal(err)
	}
	if a.clerkKey, _, err = a.staff.CreateAPIKey(ctx, clerk.ID, "packing"); err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(app.Config{}, app.Deps{DB: db, Catalog: cat, Media: m, Log: slog.New(slog.DiscardHandler),
		Sessions: &session.Manager{DB: db}, Customers: &customer.Service{DB: db}, Carts: &cart.Service{DB: db},
		Checkout: &checkout.Service{DB: db}, Staff: a.staff})
	if err != nil {
		t.Fatal(err)
	}
	a.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(a.srv.Close)
	return a
}

// call sends a request with key as the bearer ("" for none). A body that
// is not a string, []byte or io.Reader is encoded as JSON; string and
// []byte bodies are sent as JSON too unless hdr sets Content-Type.
func (a *adminShop) call(t *testing.T, client *http.Client, method, path, key string, body any, hdr ...string) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if client == nil {
		client = a.srv.Client()
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(path, "/api/v1/admin/") {
		if cc := res.Header.Get("Cache-Control"); cc != cachehdr.Private {
			t.Errorf("%s %s: Cache-Control %q, want %q", method, path, cc, cachehdr.Private)
		}
	}
	return response{res.StatusCode, res.Header, b}
}

func (a *adminShop) admin(t *testing.T, method, path string, body any, hdr ...string) response {
	t.Helper()
	return a.call(t, nil, method, path, a.ownerKey, body, hdr...)
}

type adminProductOut struct {
	ID         int64
	Slug       string
	Status     string
	PriceCents int64 `json:"price_cents"`
	Stock      int
	Variants   []struct {
		ID         int64
		SKU        string
		PriceCents int64 `json:"price_cents"`
		Stock      int
	}
	Images []struct{ Key, URL string }
}

func (a *adminShop) purgeHead(t *testing.T) int64 {
	t.Helper()
	all, err := purge.Since(context.Background(), a.db, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Seq
}

func (a *adminShop) purgedSince(t *testing.T, seq int64) []string {
	t.Helper()
	entries, err := purge.Since(context.Background(), a.db, seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, e := range entries {
		tags = append(tags, e.Tags...)
	}
	slices.Sort(tags)
	return tags
}

func (a *adminShop) createLinen(t *testing.T) adminProductOut {
	t.Helper()
	r := a.admin(t, "POST", "/api/v1/admin/products", map[string]any{
		"name": "Linen Shirt", "description": "Breezy.", "category_ids": []int64{a.clothing.ID},
		"variants": []map[string]any{{"sku": "LS-1", "name": "Small", "price_cents": 3900, "stock": 10}},
	})
	expect(t, "create product", r, http.StatusCreated)
	var p adminProductOut
	r.decode(t, &p)
	if p.ID == 0 || len(p.Variants) != 1 || p.Variants[0].ID == 0 || p.Variants[0].SKU != "LS-1" {
		t.Fatalf("created product %s: want an id and the variant's id", r.body)
	}
	if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/admin/products/%d", p.ID) {
		t.Errorf("Location %q", loc)
	}
	return p
}

// TestAdminAPIPriceEditReachesTheStorefront: a script creates a product
// with an API key, edits a variant's price, and shoppers see the new
// price at once on the product page; the purge log names that page only.
func TestAdminAPIPriceEditReachesTheStorefront(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		p := a.createLinen(t)

		page := a.call(t, nil, "GET", "/products/linen-shirt", "", nil)
		expect(t, "product page", page, http.StatusOK)
		if !strings.Contains(string(page.body), "€39.00") {
			t.Fatalf("product page does not show €39.00")
		}

		seq := a.purgeHead(t)
		r := a.admin(t, "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID), `{"price_cents": 3500}`)
		expect(t, "patch variant", r, http.StatusOK)
		if want := []string{fmt.Sprintf("product-%d", p.ID)}; !slices.Equal(a.purgedSince(t, seq), want) {
			t.Errorf("purged %q, want %q", a.purgedSince(t, seq), want)
		}

		page = a.call(t, nil, "GET", "/products/linen-shirt", "", nil)
		expect(t, "product page", page, http.StatusOK)
		if body := string(page.body); !strings.Contains(body, "€35.00") || strings.Contains(body, "€39.00") {
			t.Errorf("product page after the edit does not show €35.00 alone")
		}
		if tags := page.header.Get(cachehdr.HeaderTags); !strings.Contains(" "+tags+" ", fmt.Sprintf(" product-%d ", p.ID)) {
			t.Errorf("product page tags %q lack the purged tag", tags)
		}
		var pub struct {
			PriceCents int64 `json:"price_cents"`
		}
		r = a.call(t, nil, "GET", "/api/v1/products/linen-shirt", "", nil)
		expect(t, "public API product", r, http.StatusOK)
		if r.decode(t, &pub); pub.PriceCents != 3500 {
			t.Errorf("public API price %d, want 3500", pub.PriceCents)
		}

		// A stock change within its class purges nothing; out of stock does.
		seq = a.purgeHead(t)
		expect(t, "stock 8", a.admin(t, "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID), `{"stock": 8}`), 200)
		if got := a.purgedSince(t, seq); len(got) != 0 {
			t.Errorf("stock 10 → 8 purged %q", got)
		}
		expect(t, "stock 0", a.admin(t, "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID), `{"stock": 0}`), 200)
		if got, want := a.purgedSince(t, seq), []string{fmt.Sprintf("product-%d", p.ID)}; !slices.Equal(got, want) {
			t.Errorf("sold out: purged %q, want %q", got, want)
		}
	})
}

func TestAdminAPIRolesAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		p := a.createLinen(t)
		newProduct := map[string]any{"name": "Other", "variants": []map[string]any{{"sku": "O-1", "price_cents": 1}}}
		cases := []struct {
			name, method, path, key string
			body                    any
			want                    int
		}{
			{"no key", "GET", "/api/v1/admin/products", "", nil, http.StatusUnauthorized},
			{"unknown key", "GET", "/api/v1/admin/products", "agk_" + strings.Repeat("A", 52), nil, http.StatusUnauthorized},
			{"a clerk reads the catalog", "GET", fmt.Sprintf("/api/v1/admin/products/%d", p.ID), a.clerkKey, nil, http.StatusOK},
			{"a clerk reads orders", "GET", "/api/v1/admin/orders", a.clerkKey, nil, http.StatusOK},
			{"a clerk cannot create products", "POST", "/api/v1/admin/products", a.clerkKey, newProduct, http.StatusForbidden},
			{"a clerk cannot change prices", "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID), a.clerkKey, `{"price_cents":1}`, http.StatusForbidden},
			{"a clerk cannot change order status", "POST", "/api/v1/admin/orders/ABCD-EFGH/status", a.clerkKey, `{"status":"paid"}`, http.StatusForbidden},
			{"a clerk cannot delete categories", "DELETE", fmt.Sprintf("/api/v1/admin/categories/%d", a.clothing.ID), a.clerkKey, nil, http.StatusForbidden},
		}
		for _, c := range cases {
			r := a.call(t, nil, c.method, c.path, c.key, c.body)
			if r.status != c.want {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.want, r.body)
			}
		}
		if n := countProducts(t, db); n != 1 {
			t.Errorf("%d products after refused requests, want 1", n)
		}

		// A revoked key stops working on its very next request.
		expect(t, "owner before revoking", a.admin(t, "GET", "/api/v1/admin/products", nil), http.StatusOK)
		if err := a.staff.RevokeAPIKey(context.Background(), a.ownerKeyRow.ID); err != nil {
			t.Fatal(err)
		}
		r := a.admin(t, "POST", "/api/v1/admin/products", newProduct)
		expect(t, "revoked key", r, http.StatusUnauthorized)
		var e errorJSON
		if r.decode(t, &e); e.Error.Code != "unauthorized" {
			t.Errorf("revoked key: %s", r.body)
		}
		if n := countProducts(t, db); n != 1 {
			t.Errorf("a revoked key created a product")
		}
	})
}

func countProducts(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM products`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAdminAPIBadInput: each refusal is a 400 naming the field, and
// nothing is written (no product, no variant, no purge).
func TestAdminAPIBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		p := a.createLinen(t)
		product := func(name string, v string, cats string) string {
			return `{"name": ` + name + `, "category_ids": ` + cats + `, "variants": [` + v + `]}`
		}
		good := `{"sku": "NEW-1", "name": "One", "price_cents": 100, "stock": 1}`
		clothing := fmt.Sprintf("[%d]", a.clothing.ID)
		cases := []struct {
			name, method, path, body, field string
		}{
			{"duplicate SKU", "POST", "/api/v1/admin/products",
				product(`"Dup"`, `{"sku": "LS-1", "price_cents": 100, "stock": 1}`, clothing), "variants.sku"},
			{"the same SKU twice", "POST", "/api/v1/admin/products",
				product(`"Twice"`, good+","+good, clothing), "variants.sku"},
			{"price as a string", "POST", "/api/v1/admin/products",
				product(`"Str"`, `{"sku": "S-1", "price_cents": "12,5€", "stock": 1}`, clothing), "variants.price_cents"},
			{"fractional price", "POST", "/api/v1/admin/products",
				product(`"Frac"`, `{"sku": "S-1", "price_cents": 12.5, "stock": 1}`, clothing), "variants.price_cents"},
			{"negative stock", "POST", "/api/v1/admin/products",
				product(`"Neg"`, `{"sku": "S-1", "price_cents": 100, "stock": -3}`, clothing), "variants.stock"},
			{"unknown category", "POST", "/api/v1/admin/products", product(`"Lost"`, good, `[999999]`), "category_ids"},
			{"5,000-character name", "POST", "/api/v1/admin/products",
				product(`"`+strings.Repeat("n", 5000)+`"`, good, clothing), "name"},
			{"invalid UTF-8", "POST", "/api/v1/admin/products", product("\"Bad \xff\xfe\"", good, clothing), "name"},
			{"unknown field", "POST", "/api/v1/admin/products", `{"name": "X", "prize": 1}`, "prize"},
			{"malformed JSON", "POST", "/api/v1/admin/products", `{"name": "X", "variants": [`, ""},
			{"no variants", "POST", "/api/v1/admin/products", `{"name": "Empty"}`, "variants"},
			{"variant price as a string", "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID),
				`{"price_cents": "12,5€"}`, "price_cents"},
			{"variant negative stock", "PATCH", fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID),
				`{"stock": -1}`, "stock"},
			{"variant duplicate SKU", "POST", fmt.Sprintf("/api/v1/admin/products/%d/variants", p.ID),
				`{"sku": "LS-1", "price_cents": 1}`, "sku"},
			{"unknown status", "PATCH", fmt.Sprintf("/api/v1/admin/products/%d", p.ID), `{"status": "gone"}`, "status"},
			{"image never uploaded", "POST", fmt.Sprintf("/api/v1/admin/products/%d/images", p.ID),
				`{"key": "` + strings.Repeat("a", 64) + `.png"}`, "images.key"},
			{"image key with a path", "POST", fmt.Sprintf("/api/v1/admin/products/%d/images", p.ID),
				`{"key": "../../etc/passwd"}`, "images.key"},
			{"category under itself", "PATCH", fmt.Sprintf("/api/v1/admin/categories/%d", a.clothing.ID),
				fmt.Sprintf(`{"parent_id": %d}`, a.clothing.ID), "parent_id"},
		}
		seq := a.purgeHead(t)
		for _, c := range cases {
			r := a.admin(t, c.method, c.path, c.body)
			var e errorJSON
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400: %s", c.name, r.status, r.body)
				continue
			}
			if r.decode(t, &e); e.Error.Code != "invalid" || e.Error.Field != c.field || e.Error.Message == "" {
				t.Errorf("%s: %s, want invalid on field %q", c.name, r.body, c.field)
			}
		}
		if n := countProducts(t, db); n != 1 {
			t.Errorf("%d products after refused requests, want 1", n)
		}
		var variants int
		if err := db.QueryRow(context.Background(), `SELECT count(*) FROM variants`).Scan(&variants); err != nil {
			t.Fatal(err)
		}
		if variants != 1 {
			t.Errorf("%d variants after refused requests, want 1", variants)
		}
		r := a.admin(t, "GET", fmt.Sprintf("/api/v1/admin/products/%d", p.ID), nil)
		var after adminProductOut
		if r.decode(t, &after); after.PriceCents != 3900 || after.Stock != 10 || after.Status != "active" {
			t.Errorf("the product changed: %s", r.body)
		}
		if got := a.purgedSince(t, seq); len(got) != 0 {
			t.Errorf("refused requests purged %q", got)
		}
	})
}

// TestAdminAPIAttributes: a script creates a product with attributes,
// replaces them with PATCH and removes them; staff and shoppers read them
// in the order written; bad attributes are a 400 naming the field and
// change nothing.
func TestAdminAPIAttributes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		type out struct {
			ID         int64
			Attributes []catalog.Option
		}
		r := a.admin(t, "POST", "/api/v1/admin/products", map[string]any{
			"name": "Linen Shirt", "category_ids": []int64{a.clothing.ID},
			"attributes": []map[string]string{{"name": "Material", "value": "Linen"}, {"name": "Fit", "value": "Relaxed"}},
			"variants":   []map[string]any{{"sku": "LS-1", "price_cents": 3900, "stock": 10}},
		})
		expect(t, "create", r, http.StatusCreated)
		var p out
		r.decode(t, &p)
		want := []catalog.Option{{Name: "Material", Value: "Linen"}, {Name: "Fit", Value: "Relaxed"}}
		if !slices.Equal(p.Attributes, want) {
			t.Fatalf("created: attributes %v, want %v", p.Attributes, want)
		}
		path := fmt.Sprintf("/api/v1/admin/products/%d", p.ID)
		shopper := func() []catalog.Option {
			t.Helper()
			var s out
			r := a.call(t, nil, "GET", "/api/v1/products/linen-shirt", "", nil)
			expect(t, "shopper's product", r, http.StatusOK)
			r.decode(t, &s)
			return s.Attributes
		}
		if got := shopper(); !slices.Equal(got, want) {
			t.Fatalf("shopper's product: attributes %v, want %v", got, want)
		}

		want = []catalog.Option{{Name: "Origin", Value: "Portugal"}, {Name: "Material", Value: "Linen & flax"}}
		r = a.admin(t, "PATCH", path, map[string]any{"attributes": want})
		expect(t, "patch", r, http.StatusOK)
		r = a.admin(t, "GET", path, nil)
		if r.decode(t, &p); !slices.Equal(p.Attributes, want) {
			t.Fatalf("patched: attributes %v, want %v", p.Attributes, want)
		}
		// A patch without them leaves them alone.
		expect(t, "patch the name", a.admin(t, "PATCH", path, `{"name": "Linen Shirt II"}`), http.StatusOK)
		if got := shopper(); !slices.Equal(got, want) {
			t.Fatalf("after a name change: attributes %v, want %v", got, want)
		}

		for _, c := range []struct{ name, method, path, body string }{
			{"empty value", "PATCH", path, `{"attributes": [{"name": "Material", "value": ""}]}`},
			{"name twice", "PATCH", path, `{"attributes": [{"name": "Fit", "value": "Slim"}, {"name": "fit", "value": "Loose"}]}`},
			{"not a list", "PATCH", path, `{"attributes": "Material: Cotton"}`},
			{"value too long", "POST", "/api/v1/admin/products", `{"name": "X", "attributes": [{"name": "Care", "value": "` +
				strings.Repeat("w", 101) + `"}], "variants": [{"sku": "X-1", "price_cents": 1}]}`},
		} {
			r := a.admin(t, c.method, c.path, c.body)
			var e errorJSON
			if r.decode(t, &e); r.status != http.StatusBadRequest || e.Error.Field != "attributes" || e.Error.Message == "" {
				t.Errorf("%s: %d %s, want 400 naming attributes", c.name, r.status, r.body)
			}
		}
		if got := shopper(); !slices.Equal(got, want) {
			t.Fatalf("after refused patches: attributes %v, want %v", got, want)
		}
		if n := countProducts(t, db); n != 1 {
			t.Errorf("%d products after a refused create, want 1", n)
		}

		r = a.admin(t, "PATCH", path, `{"attributes": []}`)
		expect(t, "remove", r, http.StatusOK)
		if !strings.Contains(string(r.body), `"attributes":[]`) {
			t.Errorf("removed: %s, want \"attributes\":[]", r.body)
		}
	})
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func multipartBody(t *testing.T, field, filename string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// TestAdminAPIMediaUploadAndProductImages: an upload comes back with its
// content key and variants, under no name the client chose, and becomes a
// product picture the storefront serves.
func TestAdminAPIMediaUploadAndProductImages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		p := a.createLinen(t)

		body, ct := multipartBody(t, "file", "../../etc/passwd", pngOf(t, 640, 480))
		r := a.admin(t, "POST", "/api/v1/admin/media", body, "Content-Type", ct)
		expect(t, "upload", r, http.StatusCreated)
		var up struct {
			Key, URL string
			Width    int
			Variants map[string]struct{ Key, URL string }
		}
		r.decode(t, &up)
		if !media.ValidKey(up.Key) || up.URL != "/media/"+up.Key || up.Width != 640 {
			t.Fatalf("upload answer %s", r.body)
		}
		for _, name := range []string{"thumbnail", "card", "large"} {
			v, ok := up.Variants[name]
			if !ok || !media.ValidKey(v.Key) || v.URL != "/media/"+v.Key {
				t.Errorf("variant %s: %+v", name, v)
				continue
			}
			expect(t, "variant "+name, a.call(t, nil, "GET", v.URL, "", nil), http.StatusOK)
		}

		seq := a.purgeHead(t)
		r = a.admin(t, "POST", fmt.Sprintf("/api/v1/admin/products/%d/images", p.ID), map[string]string{"key": up.Key, "alt": "Front"})
		expect(t, "add image", r, http.StatusOK)
		var withImage adminProductOut
		if r.decode(t, &withImage); len(withImage.Images) != 1 || withImage.Images[0].Key != up.Key {
			t.Fatalf("product after adding the image: %s", r.body)
		}
		if got, want := a.purgedSince(t, seq), []string{fmt.Sprintf("product-%d", p.ID)}; !slices.Equal(got, want) {
			t.Errorf("adding an image purged %q, want %q", got, want)
		}
		page := a.call(t, nil, "GET", "/products/linen-shirt", "", nil)
		if !strings.Contains(string(page.body), up.Key[:64]) {
			t.Errorf("the product page does not show the image")
		}
		expect(t, "served", a.call(t, nil, "GET", up.URL, "", nil), http.StatusOK)

		refusals := []struct {
			name, field, filename string
			data                  []byte
			want                  int
		}{
			{"text renamed .jpg", "file", "notes.jpg", []byte("just some text, not a picture"), http.StatusBadRequest},
			{"wrong field", "image", "a.png", pngOf(t, 2, 2), http.StatusBadRequest},
		}
		for _, c := range refusals {
			body, ct := multipartBody(t, c.field, c.filename, c.data)
			r := a.admin(t, "POST", "/api/v1/admin/media", body, "Content-Type", ct)
			var e errorJSON
			if r.decode(t, &e); r.status != c.want || e.Error.Message == "" {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.want, r.body)
			}
		}
		r = a.admin(t, "POST", "/api/v1/admin/media", `{"file": "x"}`)
		expect(t, "JSON instead of multipart", r, http.StatusUnsupportedMediaType)
	})
}

// TestAdminAPIOrders: staff find an order by e-mail, read it, and cancel
// it; the stock comes back once, however often the cancel is sent.
func TestAdminAPIOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAdminShop(t, db)
		p := a.createLinen(t)
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		shopper := &http.Client{Jar: jar}
		expect(t, "add to cart", a.call(t, shopper, "POST", "/api/v1/cart/items", "",
			map[string]any{"variant_id": p.Variants[0].ID, "quantity": 3}), http.StatusOK)
		r := a.call(t, shopper, "POST", "/api/v1/checkout", "", checkoutBody("Kim@Example.com"), "Idempotency-Key", "k1")
		expect(t, "checkout", r, http.StatusCreated)
		var placed placedOut
		r.decode(t, &placed)

		stock := func() int {
			var out adminProductOut
			a.admin(t, "GET", fmt.Sprintf("/api/v1/admin/products/%d", p.ID), nil).decode(t, &out)
			return out.Stock
		}
		if s := stock(); s != 7 {
			t.Fatalf("stock after the sale %d, want 7", s)
		}

		type listOut struct {
			Items []struct {
				OrderNumber string `json:"order_number"`
				Status      string
				Email       string
			}
			Total int
		}
		for _, c := range []struct {
			query string
			want  int
		}{
			{"", 1},
			{"?q=kim@", 1},
			{"?q=" + strings.ToLower(placed.OrderNumber), 1},
			{"?status=pending_payment", 1},
			{"?status=paid", 0},
			{"?q=nobody%25", 0}, // a % is a character, not a wildcard
		} {
			var l listOut
			r := a.call(t, nil, "GET", "/api/v1/admin/orders"+c.query, a.clerkKey, nil)
			expect(t, "orders"+c.query, r, http.StatusOK)
			if r.decode(t, &l); l.Total != c.want || len(l.Items) != c.want {
				t.Errorf("orders%s: %s, want %d", c.query, r.body, c.want)
			}
		}
		expect(t, "unknown status filter", a.admin(t, "GET", "/api/v1/admin/orders?status=lost", nil), http.StatusBadRequest)
		expect(t, "order detail", a.call(t, nil, "GET", "/api/v1/admin/orders/"+placed.OrderNumber, a.clerkKey, nil), http.StatusOK)
		expect(t, "unknown order", a.admin(t, "GET", "/api/v1/admin/orders/ZZZZ-ZZZZ", nil), http.StatusNotFound)

		path := "/api/v1/admin/orders/" + placed.OrderNumber + "/status"
		r = a.admin(t, "POST", path, `{"status": "cancelled", "note": "customer called"}`)
		expect(t, "cancel", r, http.StatusOK)
		var o struct{ Status string }
		if r.decode(t, &o); o.Status != "cancelled" {
			t.Errorf("after cancelling: %s", r.body)
		}
		expect(t, "cancel again", a.admin(t, "POST", path, `{"status": "cancelled"}`), http.StatusConflict)
		expect(t, "refund a cancelled order", a.admin(t, "POST", path, `{"status": "refunded"}`), http.StatusConflict)
		if s := stock(); s != 10 {
			t.Errorf("stock after cancelling %d, want 10 (restocked once)", s)
		}
		expect(t, "bad status", a.admin(t, "POST", path, `{"status": "lost"}`), http.StatusBadRequest)
	})
}
