package checkout_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestBadInputWritesNothing: every refused checkout names the field and
// leaves every table as it was.
func TestBadInputWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 2000, 10)[0]
		past, future := base.Add(-time.Hour), base.Add(24*time.Hour)
		one := 1
		for _, d := range []checkout.Discount{
			{Code: "OLD", Kind: checkout.DiscountPercent, Value: 10, EndsAt: &past, Active: true},
			{Code: "SOON", Kind: checkout.DiscountPercent, Value: 10, StartsAt: &future, Active: true},
			{Code: "GONE", Kind: checkout.DiscountPercent, Value: 10, UsageLimit: &one, UsedCount: 1, Active: true},
			{Code: "BIG", Kind: checkout.DiscountFixed, Value: 1000, MinSubtotalCents: 10000, Active: true},
			{Code: "OFF", Kind: checkout.DiscountFixed, Value: 1000},
		} {
			if _, err := f.svc.CreateDiscount(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		o := f.guest(t)
		f.fill(t, o, 2, v)
		empty := f.guest(t)
		long := strings.Repeat("x", 5000)

		tests := []struct {
			name  string
			edit  func(r *checkout.Request)
			code  fault.Code
			field string
		}{
			{"no email", func(r *checkout.Request) { r.Email = " " }, fault.Invalid, "email"},
			{"bad email", func(r *checkout.Request) { r.Email = "kim@" }, fault.Invalid, "email"},
			{"email with a name", func(r *checkout.Request) { r.Email = "Kim <kim@example.com>" }, fault.Invalid, "email"},
			{"email too long", func(r *checkout.Request) { r.Email = long + "@example.com" }, fault.Invalid, "email"},
			{"email invalid UTF-8", func(r *checkout.Request) { r.Email = "k\xffm@example.com" }, fault.Invalid, "email"},
			{"5000-char name", func(r *checkout.Request) { r.ShippingAddress.Name = long }, fault.Invalid, "shipping_address.name"},
			{"5000-char line1", func(r *checkout.Request) { r.ShippingAddress.Line1 = long }, fault.Invalid, "shipping_address.line1"},
			{"5000-char city", func(r *checkout.Request) { r.ShippingAddress.City = long }, fault.Invalid, "shipping_address.city"},
			{"invalid UTF-8 city", func(r *checkout.Request) { r.ShippingAddress.City = "Berl\xc3\x28n" }, fault.Invalid, "shipping_address.city"},
			{"missing postal code", func(r *checkout.Request) { r.ShippingAddress.PostalCode = "" }, fault.Invalid, "shipping_address.postal_code"},
			{"unknown country", func(r *checkout.Request) { r.ShippingAddress.Country = "Germany" }, fault.Invalid, "shipping_address.country"},
			{"unknown shipping method", func(r *checkout.Request) { r.ShippingMethod = "teleport" }, fault.Invalid, "shipping_method"},
			{"unknown payment method", func(r *checkout.Request) { r.PaymentMethod = "iou" }, fault.Invalid, "payment_method"},
			{"unknown discount", func(r *checkout.Request) { r.DiscountCode = "NOPE" }, fault.Invalid, "discount_code"},
			{"garbage discount", func(r *checkout.Request) { r.DiscountCode = "\xff\x00" + long }, fault.Invalid, "discount_code"},
			{"expired discount", func(r *checkout.Request) { r.DiscountCode = "old" }, fault.Invalid, "discount_code"},
			{"discount not yet valid", func(r *checkout.Request) { r.DiscountCode = "SOON" }, fault.Invalid, "discount_code"},
			{"inactive discount", func(r *checkout.Request) { r.DiscountCode = "OFF" }, fault.Invalid, "discount_code"},
			{"exhausted discount", func(r *checkout.Request) { r.DiscountCode = "GONE" }, fault.Conflict, "discount_code"},
			{"below the minimum", func(r *checkout.Request) { r.DiscountCode = "BIG" }, fault.Invalid, "discount_code"},
			{"empty cart", func(r *checkout.Request) { r.Cart, r.SessionHash = empty, empty.SessionHash }, fault.Invalid, "cart"},
			{"no cart at all", func(r *checkout.Request) { r.Cart, r.SessionHash = cart.Owner{}, "" }, fault.Invalid, "cart"},
			{"no idempotency key", func(r *checkout.Request) { r.IdempotencyKey = "" }, fault.Invalid, "idempotency_key"},
			{"idempotency key too long", func(r *checkout.Request) { r.IdempotencyKey = strings.Repeat("k", 256) }, fault.Invalid, "idempotency_key"},
			{"idempotency key with a newline", func(r *checkout.Request) { r.IdempotencyKey = "abc\ndef" }, fault.Invalid, "idempotency_key"},
			{"idempotency key not ASCII", func(r *checkout.Request) { r.IdempotencyKey = "schlüssel" }, fault.Invalid, "idempotency_key"},
		}
		tables := []string{"orders", "order_lines", "order_addresses", "order_events", "email_outbox", "purge_log", "cart_items"}
		snapshot := func() []int {
			var out []int
			for _, tb := range tables {
				out = append(out, f.count(t, `SELECT count(*) FROM `+tb))
			}
			return append(out, f.stock(t, v.ID), f.productStock(t, v.ProductID),
				f.count(t, `SELECT COALESCE(SUM(used_count), 0) FROM discounts`))
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := request(o, newKey())
				tt.edit(&r)
				before := snapshot()
				_, _, err := f.svc.Place(ctx, r)
				if fault.CodeOf(err) != tt.code || fault.FieldOf(err) != tt.field {
					t.Fatalf("err = %v (code %s, field %q); want %s on %q", err, fault.CodeOf(err), fault.FieldOf(err), tt.code, tt.field)
				}
				if msg := fault.MessageOf(err); msg == "" || strings.Contains(msg, "SQL") || len(msg) > 300 {
					t.Errorf("message %q is not a clear one", msg)
				}
				if after := snapshot(); !slices.Equal(before, after) {
					t.Errorf("rows (%v + stock, product stock, discount uses) changed from %v to %v", tables, before, after)
				}
			})
		}
		// The same cart still checks out afterwards.
		if _, _, err := f.svc.Place(ctx, request(o, newKey())); err != nil {
			t.Errorf("valid checkout after the refusals: %v", err)
		}
	})
}
