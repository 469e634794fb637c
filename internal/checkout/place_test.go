package checkout_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"agora/internal/cart"
	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestPlaceOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		shirt := f.product(t, 1990, 10, 4) // two variants
		pan := f.product(t, 2500, 8)
		o := f.guest(t)
		f.fill(t, o, 2, shirt[1], pan[0])
		f.fill(t, o, 1, shirt[0])

		q, err := f.svc.Quote(ctx, request(o, ""))
		if err != nil {
			t.Fatal(err)
		}
		// 3 × 19.90 + 2 × 25.00 = 109.70 ≥ 50.00: free standard shipping;
		// gross at 19 %: tax = 109.70 − 92.18 = 17.52.
		if q.SubtotalCents != 10970 || q.ShippingCents != 0 || q.TaxCents != 1752 || q.TotalCents != 10970 {
			t.Fatalf("quote = %+v", q)
		}

		key := newKey()
		order, created, err := f.svc.Place(ctx, request(o, key))
		if err != nil || !created {
			t.Fatalf("place: %v, created %v", err, created)
		}
		if !regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`).MatchString(order.Number) {
			t.Errorf("order number %q", order.Number)
		}
		if order.Status != checkout.StatusPendingPayment || order.TotalCents != q.TotalCents || order.TaxCents != q.TaxCents ||
			order.ShippingMethod != "standard" || order.PaymentMethod != "manual" || !order.PricesIncludeTax || order.Currency != "EUR" {
			t.Errorf("order = %+v", order)
		}
		// Lines in variant-id order, priced from the database.
		var skus []string
		for _, l := range order.Lines {
			skus = append(skus, fmt.Sprintf("%s×%d=%d", l.SKU, l.Quantity, l.LineTotalCents))
		}
		want := []string{shirt[0].SKU + "×1=1990", shirt[1].SKU + "×2=3980", pan[0].SKU + "×2=5000"}
		if !slices.Equal(skus, want) {
			t.Errorf("lines = %v; want %v", skus, want)
		}
		// Stock taken from the variants and the products' totals.
		if s := [3]int{f.stock(t, shirt[0].ID), f.stock(t, shirt[1].ID), f.stock(t, pan[0].ID)}; s != [3]int{9, 2, 6} {
			t.Errorf("variant stock = %v; want [9 2 6]", s)
		}
		if s := [2]int{f.productStock(t, shirt[0].ProductID), f.productStock(t, pan[0].ProductID)}; s != [2]int{11, 6} {
			t.Errorf("product stock = %v; want [11 6]", s)
		}
		if n, _ := f.carts.Count(ctx, o); n != 0 {
			t.Errorf("cart still holds %d units", n)
		}
		// The confirmation e-mail is queued, with the number and the total.
		var to, subject, body string
		if err := db.Write.QueryRow(`SELECT recipient, subject, body_text FROM email_outbox`).Scan(&to, &subject, &body); err != nil {
			t.Fatal(err)
		}
		if to != "kim@example.com" || !strings.Contains(subject, order.Number) || !strings.Contains(body, "€109.70") || !strings.Contains(body, "10115 Berlin\nGermany\n") ||
			!strings.Contains(body, "https://shop.test/orders/"+order.Number) {
			t.Errorf("mail to %q, %q:\n%s", to, subject, body)
		}
		if n := f.count(t, `SELECT count(*) FROM order_events WHERE to_status = 'pending_payment'`); n != 1 {
			t.Errorf("%d placement events", n)
		}

		// Reading it back: by number (as typed), for its session only.
		got, err := f.svc.Order(ctx, strings.ToLower(order.Number))
		if err != nil || got.TotalCents != order.TotalCents || len(got.Lines) != 3 || got.ShippingAddress.City != "Berlin" {
			t.Fatalf("Order = %+v, %v", got, err)
		}
		if _, err := f.svc.OrderFor(ctx, order.Number, 0, o.SessionHash); err != nil {
			t.Errorf("the placing session cannot see its order: %v", err)
		}
		other := f.guest(t)
		for _, probe := range []struct {
			number string
			cust   int64
			sess   string
		}{{order.Number, 0, other.SessionHash}, {order.Number, 0, ""}, {order.Number, 42, ""}, {"ZZZZ-ZZZZ", 0, o.SessionHash}, {"nonsense", 0, ""}} {
			if _, err := f.svc.OrderFor(ctx, probe.number, probe.cust, probe.sess); fault.CodeOf(err) != fault.NotFound {
				t.Errorf("OrderFor(%q, %d, another session) = %v; want not_found", probe.number, probe.cust, err)
			}
		}

		// The same key again: the same order, nothing new.
		again, created, err := f.svc.Place(ctx, request(o, key))
		if err != nil || created || again.Number != order.Number {
			t.Errorf("replay = %v, created %v, %v", again, created, err)
		}
		// ...but not for someone else.
		if _, _, err := f.svc.Place(ctx, request(other, key)); fault.FieldOf(err) != "idempotency_key" {
			t.Errorf("another session replaying the key: %v; want a conflict on idempotency_key", err)
		}
		if n := f.count(t, `SELECT count(*) FROM orders`); n != 1 {
			t.Errorf("%d orders", n)
		}
	})
}

func TestCustomerOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 1000, 50)
		kim := f.customer(t, "kim@example.com")
		owner := cart.Owner{CustomerID: kim}
		var numbers []string
		for range 3 {
			f.fill(t, owner, 1, v[0])
			o, _, err := f.svc.Place(ctx, request(owner, newKey()))
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, o.Number)
		}
		page, err := f.svc.ListOrders(ctx, checkout.OrderFilter{CustomerID: kim})
		list := page.Orders
		if err != nil || len(list) != 3 || page.Total != 3 {
			t.Fatalf("ListOrders(kim) = %d orders of %d, %v", len(list), page.Total, err)
		}
		slices.Reverse(numbers)
		for i, o := range list {
			if o.Number != numbers[i] {
				t.Errorf("order %d = %s; want %s (newest first)", i, o.Number, numbers[i])
			}
		}
		if _, err := f.svc.OrderFor(ctx, numbers[0], kim, ""); err != nil {
			t.Errorf("the customer cannot see their order: %v", err)
		}
		if _, err := f.svc.OrderFor(ctx, numbers[0], kim+1, ""); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("another customer sees it: %v", err)
		}
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		st, err := f.svc.Settings(ctx)
		if err != nil || st.Currency != "EUR" || !st.PricesIncludeTax || st.TaxRates["DE"] != 1900 || st.DefaultTaxRate != 2000 {
			t.Fatalf("defaults = %+v, %v", st, err)
		}
		opts, err := f.svc.Options(ctx)
		if err != nil || opts.Shipping[0].Code != "standard" || opts.Payment[0].Code != "manual" {
			t.Fatalf("options = %+v, %v", opts, err)
		}

		// A net-price store shipping to Germany and Austria only.
		st.PricesIncludeTax = false
		st.Countries = []string{"DE", "AT"}
		st.Shipping = []checkout.ShippingMethod{{Code: "standard", Name: "Parcel", PriceCents: 500}}
		if err := f.svc.SaveSettings(ctx, st); err != nil {
			t.Fatal(err)
		}
		v := f.product(t, 1000, 10)
		o := f.guest(t)
		f.fill(t, o, 2, v[0])
		order, _, err := f.svc.Place(ctx, request(o, newKey()))
		if err != nil {
			t.Fatal(err)
		}
		// (20.00 + 5.00) net + 19 % = 4.75 tax, 29.75 total.
		if order.TaxCents != 475 || order.TotalCents != 2975 || order.PricesIncludeTax {
			t.Errorf("net order = tax %d total %d incl %v", order.TaxCents, order.TotalCents, order.PricesIncludeTax)
		}

		for _, bad := range []struct {
			field string
			edit  func(*checkout.Settings)
		}{
			{"currency", func(s *checkout.Settings) { s.Currency = "euro" }},
			{"tax_rates", func(s *checkout.Settings) { s.TaxRates = map[string]int{"DE": 10001} }},
			{"tax_rates", func(s *checkout.Settings) { s.TaxRates = map[string]int{"Germany": 1900} }},
			{"shipping", func(s *checkout.Settings) { s.Shipping = []checkout.ShippingMethod{{Code: "express", Name: "Express"}} }},
			{"shipping", func(s *checkout.Settings) { s.Shipping = append(s.Shipping, s.Shipping[0]) }},
			{"countries", func(s *checkout.Settings) { s.Countries = []string{"de"} }},
			// Shaped like codes, but no country (issue 9: one country list).
			{"countries", func(s *checkout.Settings) { s.Countries = []string{"DE", "XX"} }},
			{"tax_rates", func(s *checkout.Settings) { s.TaxRates = map[string]int{"UK": 2000} }},
		} {
			s2 := st
			bad.edit(&s2)
			if err := f.svc.SaveSettings(ctx, s2); fault.FieldOf(err) != bad.field {
				t.Errorf("SaveSettings with a bad %s: %v", bad.field, err)
			}
		}
		if got, _ := f.svc.Settings(ctx); got.PricesIncludeTax || len(got.Countries) != 2 {
			t.Errorf("a refused save changed the settings: %+v", got)
		}
	})
}

func TestDiscountAtCheckout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 4000, 20)
		limit := 1
		d, err := f.svc.CreateDiscount(ctx, checkout.Discount{Code: "spring10", Kind: checkout.DiscountPercent, Value: 10, UsageLimit: &limit, Active: true})
		if err != nil || d.Code != "SPRING10" || d.ID == 0 {
			t.Fatalf("CreateDiscount = %+v, %v", d, err)
		}
		if _, err := f.svc.CreateDiscount(ctx, checkout.Discount{Code: "Spring10", Kind: checkout.DiscountFixed, Value: 5, Active: true}); fault.FieldOf(err) != "code" {
			t.Errorf("duplicate code: %v", err)
		}
		o := f.guest(t)
		f.fill(t, o, 2, v[0])
		r := request(o, newKey())
		r.DiscountCode = " Spring10 "
		order, _, err := f.svc.Place(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		// 80.00 − 8.00 = 72.00 ≥ 50.00: free shipping.
		if order.DiscountCents != 800 || order.DiscountCode != "SPRING10" || order.TotalCents != 7200 || order.ShippingCents != 0 {
			t.Errorf("order = %+v", order)
		}
		if n := f.count(t, `SELECT used_count FROM discounts WHERE code = 'SPRING10'`); n != 1 {
			t.Errorf("used_count = %d", n)
		}
		for _, bad := range []checkout.Discount{
			{Code: "", Kind: checkout.DiscountFixed, Value: 1},
			{Code: "A B", Kind: checkout.DiscountFixed, Value: 1},
			{Code: "X1", Kind: "bogo", Value: 1},
			{Code: "X2", Kind: checkout.DiscountPercent, Value: 101},
			{Code: "X3", Kind: checkout.DiscountFixed, Value: 0},
		} {
			if _, err := f.svc.CreateDiscount(ctx, bad); fault.CodeOf(err) != fault.Invalid {
				t.Errorf("CreateDiscount(%+v) = %v; want invalid", bad, err)
			}
		}
	})
}

// TestPurgeOnClassChange: a sale purges the product's pages only when the
// product or variant changes availability class (in stock / low / out).
func TestPurgeOnClassChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tests := []struct {
			name   string
			stocks []int // per variant; the first is bought
			buy    int
			purged bool
		}{
			{"20 → 19: in stock either way", []int{20}, 1, false},
			{"7 → 6: in stock either way", []int{7}, 1, false},
			{"6 → 5: in stock → low", []int{6}, 1, true},
			{"5 → 4: low either way", []int{5}, 1, false},
			{"1 → 0: low → out", []int{1}, 1, true},
			{"3 → 0: low → out", []int{3}, 3, true},
			{"variant 2 → 1, product 12 → 11: low either way, in stock either way", []int{2, 10}, 1, false},
			{"variant 1 → 0 while the product stays in stock", []int{1, 10}, 1, true},
			{"variant 9 → 7, product 9 → 7 but its other variant 0: in stock either way", []int{9, 0}, 2, false},
			{"product 7 → 5 over two variants, each low either way", []int{3, 4}, 2, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				vs := f.product(t, 100, tt.stocks...)
				o := f.guest(t)
				f.fill(t, o, tt.buy, vs[0])
				head := f.purgeHead(t)
				order, _, err := f.svc.Place(ctx, request(o, newKey()))
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				if tt.purged {
					want = []string{fmt.Sprintf("product-%d", vs[0].ProductID)}
				}
				if got := f.purges(t, head); !slices.Equal(got, want) {
					t.Errorf("purge log after the sale = %q; want %q", got, want)
				}
				// Soft: while the database is down the edge can still
				// serve the page (stale); checkout checks the stock anyway.
				if hard := f.count(t, `SELECT COUNT(*) FROM purge_log WHERE seq > $1 AND NOT soft`, head); hard != 0 {
					t.Errorf("the sale appended %d hard purges; want soft ones", hard)
				}
				// Cancelling puts the stock back and purges the same way.
				head = f.purgeHead(t)
				if _, err := f.svc.SetStatus(ctx, order.Number, checkout.StatusCancelled, ""); err != nil {
					t.Fatal(err)
				}
				if got := f.purges(t, head); !slices.Equal(got, want) {
					t.Errorf("purge log after the cancel = %q; want %q", got, want)
				}
				if hard := f.count(t, `SELECT COUNT(*) FROM purge_log WHERE seq > $1 AND NOT soft`, head); hard != 0 {
					t.Errorf("the cancel appended %d hard purges; want soft ones", hard)
				}
				if s := f.stock(t, vs[0].ID); s != tt.stocks[0] {
					t.Errorf("stock after cancel = %d; want %d", s, tt.stocks[0])
				}
			})
		}
	})
}

func TestStatusWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 1000, 100)
		tests := []struct {
			path     []checkout.Status // moves from pending_payment, the last one checked
			ok       bool
			restored bool // the 2 units are back after the path
		}{
			{[]checkout.Status{"paid"}, true, false},
			{[]checkout.Status{"cancelled"}, true, true},
			{[]checkout.Status{"fulfilled"}, false, false},
			{[]checkout.Status{"refunded"}, false, false},
			{[]checkout.Status{"paid", "fulfilled"}, true, false},
			{[]checkout.Status{"paid", "cancelled"}, true, true},
			{[]checkout.Status{"paid", "refunded"}, true, true},
			{[]checkout.Status{"paid", "fulfilled", "refunded"}, true, true},
			{[]checkout.Status{"paid", "fulfilled", "cancelled"}, false, false},
			{[]checkout.Status{"cancelled", "paid"}, false, true},
			{[]checkout.Status{"cancelled", "refunded"}, false, true},
			{[]checkout.Status{"paid", "refunded", "refunded"}, false, true},
			{[]checkout.Status{"paid", "paid"}, false, false},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprint(tt.path), func(t *testing.T) {
				before := f.stock(t, v[0].ID)
				o := f.guest(t)
				f.fill(t, o, 2, v[0])
				order, _, err := f.svc.Place(ctx, request(o, newKey()))
				if err != nil {
					t.Fatal(err)
				}
				for i, to := range tt.path {
					got, err := f.svc.SetStatus(ctx, order.Number, to, "by test")
					if i < len(tt.path)-1 {
						if err != nil {
							t.Fatalf("step %s: %v", to, err)
						}
						continue
					}
					if tt.ok && (err != nil || got.Status != to) {
						t.Errorf("%s: %v", to, err)
					}
					if !tt.ok && fault.CodeOf(err) != fault.Conflict {
						t.Errorf("%s: %v; want conflict", to, err)
					}
				}
				want := before - 2
				if tt.restored {
					want = before
				}
				if s := f.stock(t, v[0].ID); s != want {
					t.Errorf("stock = %d; want %d", s, want)
				}
			})
		}
		if _, err := f.svc.SetStatus(ctx, "ZZZZ-ZZZZ", checkout.StatusPaid, ""); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("unknown order: %v", err)
		}
		if _, err := f.svc.SetStatus(ctx, "ZZZZ-ZZZZ", "shipped", ""); fault.FieldOf(err) != "status" {
			t.Errorf("unknown status: %v", err)
		}
	})
}
