package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestProductAttributesForm: staff type a product's attributes one
// "Name: Value" a line, on the new product form and on its edit page; the
// page shows them again as typed; a malformed line, or attributes the
// catalog refuses, give the form back with the error next to the field
// and nothing saved (issue 15).
func TestProductAttributesForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Manager)
		loc := b.postOK("/admin/products", url.Values{"name": {"Desk Lamp"}, "status": {"active"},
			"attributes":   {"Material: Brass\r\n\r\n  Bulb : E27 (max. 60 W)  \r\nRatio: 1:2"},
			"variants.sku": {"DL-1"}, "variants.price_cents": {"24.90"}, "variants.stock": {"7"}}, "/admin/products/")
		want := []catalog.Option{{Name: "Material", Value: "Brass"}, {Name: "Bulb", Value: "E27 (max. 60 W)"}, {Name: "Ratio", Value: "1:2"}}
		stored := func() []catalog.Option {
			t.Helper()
			p, err := s.cat.ProductBySlug(t.Context(), "desk-lamp")
			if err != nil {
				t.Fatal(err)
			}
			return p.Attributes
		}
		if got := stored(); !slices.Equal(got, want) {
			t.Fatalf("created: attributes %v, want %v", got, want)
		}
		id := productIDRE.FindStringSubmatch(loc)[1]
		page := b.get("/admin/products/" + id)
		mustContain(t, "edit page", page.body, `name="attributes"`, ">Material: Brass\nBulb: E27 (max. 60 W)\nRatio: 1:2</textarea>")

		save := func(attrs string) response {
			return b.post("/admin/products/"+id, url.Values{"name": {"Desk Lamp II"}, "slug": {"desk-lamp"}, "status": {"active"},
				"attributes": {attrs}})
		}
		for _, c := range []struct{ name, attrs, says string }{
			{"a line without a colon", "Material: Brass\nBulb E27", `Line 2 (&#34;Bulb E27&#34;) is not Name: Value`},
			{"a name without a value", "Material:", "Line 1"},
			{"one name twice", "Colour: Red\ncolour: Blue", "give each name once"},
		} {
			res := save(c.attrs)
			if res.status != http.StatusBadRequest {
				t.Fatalf("%s: status %d, want 400", c.name, res.status)
			}
			mustContain(t, c.name, res.body, `id="f-attributes-error"`, c.says, ">"+c.attrs+"</textarea>")
			if got := stored(); !slices.Equal(got, want) {
				t.Fatalf("%s: attributes %v after a refused save, want %v", c.name, got, want)
			}
			if p, _ := s.cat.ProductBySlug(t.Context(), "desk-lamp"); p.Name != "Desk Lamp" {
				t.Fatalf("%s: the name changed to %q with a refused save", c.name, p.Name)
			}
		}

		b.redirected(save("Origin: Portugal\nMaterial: Brass"), "save", "/admin/products/"+id+"?done=saved")
		want = []catalog.Option{{Name: "Origin", Value: "Portugal"}, {Name: "Material", Value: "Brass"}}
		if got := stored(); !slices.Equal(got, want) {
			t.Fatalf("saved: attributes %v, want %v", got, want)
		}
		mustContain(t, "after saving", b.get("/admin/products/"+id).body, ">Origin: Portugal\nMaterial: Brass</textarea>")
		b.redirected(save(""), "save", "/admin/products/"+id+"?done=saved")
		if got := stored(); len(got) != 0 {
			t.Fatalf("emptied: attributes %v, want none", got)
		}
		if strings.Contains(b.get("/admin/products/"+id).body, "Origin: Portugal</textarea>") {
			t.Error("the edit page still shows the removed attributes")
		}
	})
}
