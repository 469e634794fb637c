package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestYenPrices: in a currency without minor units a merchant types whole
// yen, and the admin shows them as the shop and the e-mails do (issue 9:
// "1000" was stored as 100000 and shown as "¥1,000.00"-like hundredths).
func TestYenPrices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Owner)
		b.postOK("/admin/settings", url.Values{"currency": {"JPY"}, "prices_include_tax": {"true"},
			"default_tax_rate": {"10"}, "countries": {"JP"},
			"ship.0.code": {"standard"}, "ship.0.name": {"Yamato"}, "ship.0.price": {"800"}, "ship.0.free_over": {"10000"}}, "/admin/settings?done=saved")
		st, err := s.co.Settings(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Currency != "JPY" || st.Shipping[0].PriceCents != 800 || st.Shipping[0].FreeOverCents != 10000 {
			t.Errorf("saved settings: %+v", st)
		}
		mustContain(t, "settings page", b.get("/admin/settings").body, `value="800"`, `value="10000"`)

		// Yen have no decimals: "1000.50" is refused, not rounded.
		res := b.post("/admin/products", url.Values{"name": {"Tea Bowl"}, "status": {"active"}, "variants.sku": {"TB-1"},
			"variants.price_cents": {"1000.50"}, "variants.stock": {"3"}})
		if res.status != http.StatusBadRequest {
			t.Errorf("yen price with decimals: %d, want 400", res.status)
		}
		loc := b.postOK("/admin/products", url.Values{"name": {"Tea Bowl"}, "status": {"active"}, "variants.sku": {"TB-1"},
			"variants.price_cents": {"1 000"}, "variants.stock": {"3"}}, "/admin/products/")
		p, err := s.cat.ProductBySlug(t.Context(), "tea-bowl")
		if err != nil {
			t.Fatal(err)
		}
		if p.PriceCents != 1000 || p.Currency != "JPY" {
			t.Errorf("stored price %d %s, want 1000 JPY", p.PriceCents, p.Currency)
		}
		mustContain(t, "product page", b.get(loc).body, `value="1000"`)
		mustContain(t, "products list", b.get("/admin/products").body, "¥1,000")

		// A fixed discount in yen, with a minimum in yen.
		b.postOK("/admin/discounts", url.Values{"code": {"YEN500"}, "kind": {"fixed"}, "value": {"500"},
			"min_subtotal_cents": {"3000"}}, "/admin/discounts?done=created")
		page := b.get("/admin/discounts").body
		mustContain(t, "discounts", page, "¥500", "¥3,000", `placeholder="0"`)
		if strings.Contains(page, "5.00") || strings.Contains(page, "0.00") {
			t.Errorf("the discount form asks for yen with decimals")
		}
	})
}
