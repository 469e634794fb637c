package checkout_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/checkout"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestOrderHistoryAndFigures: the reads the admin's order page, dashboard
// and customer list make through checkout, which owns their tables.
func TestOrderHistoryAndFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 1000, 100)
		kim := f.customer(t, "kim@example.com")
		var numbers []string
		for range 3 {
			o := cart.Owner{CustomerID: kim}
			f.fill(t, o, 1, v[0])
			order, _, err := f.svc.Place(ctx, request(o, newKey()))
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, order.Number)
		}
		if _, err := f.svc.SetStatus(ctx, numbers[0], checkout.StatusPaid, "paid by wire"); err != nil {
			t.Fatal(err)
		}
		o, err := f.svc.SetStatus(ctx, numbers[0], checkout.StatusRefunded, "returned")
		if err != nil {
			t.Fatal(err)
		}
		if !o.Restocked {
			t.Error("a refunded order does not say it was restocked")
		}
		if o2, _ := f.svc.Order(ctx, numbers[1]); o2 == nil || o2.Restocked {
			t.Errorf("an open order says it was restocked: %+v", o2)
		}
		events, err := f.svc.Events(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, e := range events {
			path = append(path, string(e.From)+">"+string(e.To)+":"+e.Note)
		}
		want := []string{">pending_payment:placed", "pending_payment>paid:paid by wire", "paid>refunded:returned"}
		if !slices.Equal(path, want) {
			t.Errorf("events %v; want %v", path, want)
		}

		sales, err := f.svc.SalesSince(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		// Three orders of 1000 each plus shipping and tax; the refunded one
		// is not revenue.
		if sales.Orders != 3 || len(sales.Revenue) != 1 || sales.Revenue[0].Cents != 2*o.TotalCents {
			t.Errorf("sales %+v; want 3 orders and revenue %d", sales, 2*o.TotalCents)
		}
		if later, err := f.svc.SalesSince(ctx, base.Add(time.Hour)); err != nil || later.Orders != 0 || len(later.Revenue) != 0 {
			t.Errorf("sales of a later period: %+v, %v", later, err)
		}

		counts, err := f.svc.OrderCounts(ctx, []int64{kim, kim + 100})
		if err != nil || counts[kim] != 3 || len(counts) != 1 {
			t.Errorf("OrderCounts = %v, %v; want {%d: 3}", counts, err, kim)
		}
	})
}

func TestDiscountsList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		limit := 10
		ends := base.Add(48 * time.Hour)
		for _, d := range []checkout.Discount{
			{Code: "spring", Kind: checkout.DiscountPercent, Value: 10, Active: true},
			{Code: "FIVE", Kind: checkout.DiscountFixed, Value: 500, UsageLimit: &limit, EndsAt: &ends},
		} {
			if _, err := f.svc.CreateDiscount(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		list, err := f.svc.Discounts(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("Discounts = %v, %v", list, err)
		}
		five, spring := list[0], list[1]
		if five.Code != "FIVE" || spring.Code != "SPRING" {
			t.Fatalf("order %s, %s; want newest first", five.Code, spring.Code)
		}
		if five.UsageLimit == nil || *five.UsageLimit != 10 || five.EndsAt == nil || !five.EndsAt.Equal(ends) || five.Active {
			t.Errorf("FIVE read back as %+v", five)
		}
		if spring.UsageLimit != nil || spring.EndsAt != nil || spring.StartsAt != nil || !spring.Active || spring.Value != 10 {
			t.Errorf("SPRING read back as %+v", spring)
		}
	})
}
