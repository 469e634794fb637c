package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var orderLinkRE = regexp.MustCompile(`href="/admin/orders/([0-9A-Z]{4}-[0-9A-Z]{4})"`)

// TestOrderListingSameInUIAndAPI: the admin's order list and the admin
// API's answer the same filter with the same orders (issue 9: the page
// searched substrings with the e-mail assumed lower-case, the API an exact
// number or an e-mail prefix). A merchant's search: the beginning of an
// order number as typed (any case, with or without the dash, look-alike
// letters), or any part of the e-mail in any case.
func TestOrderListingSameInUIAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		p := s.product(t, "Search Lamp", 50)
		vid := p.Variants[0].ID
		kim := s.orderBy(t, "Kim@Example.com", vid, 1)
		lee := s.orderBy(t, "lee@shop.test", vid, 1)
		b := s.signIn(t, staff.Owner)
		clerk, err := s.staff.Create(context.Background(), "clerk@shop.test", "Carl", staff.Clerk, password)
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := s.staff.CreateAPIKey(context.Background(), clerk.ID, "orders")
		if err != nil {
			t.Fatal(err)
		}
		lookAlike := strings.NewReplacer("0", "o", "1", "l").Replace(strings.ToLower(strings.ReplaceAll(lee, "-", "")))

		for _, c := range []struct {
			name, query string
			want        []string
		}{
			{"everything", "", []string{kim, lee}},
			{"start of an e-mail", "q=kim", []string{kim}},
			{"middle of an e-mail", "q=example", []string{kim}},
			{"e-mail in another case", "q=KIM%40EXAMPLE.COM", []string{kim}},
			{"domain", "q=shop.test", []string{lee}},
			{"number prefix, lower case", "q=" + strings.ToLower(kim[:4]), []string{kim}},
			{"number prefix past the dash", "q=" + kim[:6], []string{kim}},
			{"whole number without dash, look-alikes", "q=" + url.QueryEscape(lookAlike), []string{lee}},
			{"wildcards are characters", "q=%25", nil},
			{"status and e-mail", "status=pending_payment&q=lee", []string{lee}},
			{"status only", "status=paid", nil},
		} {
			ui := s.uiOrders(t, b, c.query)
			api := s.apiOrders(t, key, c.query)
			slices.Sort(ui)
			slices.Sort(api)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(ui, want) || !slices.Equal(api, want) {
				t.Errorf("%s (%s): admin page %v, API %v; want %v", c.name, c.query, ui, api, want)
			}
		}
	})
}

// uiOrders lists the order numbers /admin/orders?query shows.
func (s *shop) uiOrders(t *testing.T, b *browser, query string) []string {
	t.Helper()
	res := b.get("/admin/orders?" + query)
	if res.status != http.StatusOK {
		t.Fatalf("/admin/orders?%s: %d", query, res.status)
	}
	var out []string
	for _, m := range orderLinkRE.FindAllStringSubmatch(res.body, -1) {
		out = append(out, m[1])
	}
	return out
}

// apiOrders lists the order numbers GET /api/v1/admin/orders?query answers.
func (s *shop) apiOrders(t *testing.T, key, query string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/api/v1/admin/orders?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("API orders?%s: %d %s", query, res.StatusCode, data)
	}
	var body struct {
		Items []struct {
			OrderNumber string `json:"order_number"`
		}
	}
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range body.Items {
		out = append(out, o.OrderNumber)
	}
	return out
}

// TestListSearchNotTextIsRefused: a search that is not text (invalid
// UTF-8, NUL) is the staff member's mistake, answered 400 on both pages;
// it reached PostgreSQL, which failed it, and the admin showed a 500.
func TestListSearchNotTextIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		b := s.signIn(t, staff.Owner)
		for _, path := range []string{"/admin/orders?q=%FF", "/admin/customers?q=%FF", "/admin/orders?q=a%00b", "/admin/customers?q=a%00b"} {
			if res := b.get(path); res.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", path, res.status)
			}
		}
	})
}
