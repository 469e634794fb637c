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

// TestListOrders is the one order search of the admin pages and the admin
// API (issue 9: each had its own): the beginning of a number as typed, or
// any part of the e-mail in any case, on both dialects.
func TestListOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		v := f.product(t, 1000, 100)
		place := func(email string, customerID int64) string {
			o := f.guest(t)
			if customerID != 0 {
				o = cart.Owner{CustomerID: customerID}
			}
			f.fill(t, o, 1, v[0])
			r := request(o, newKey())
			r.Email = email
			order, _, err := f.svc.Place(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return order.Number
		}
		kimID := f.customer(t, "kim@example.com")
		kim := place("Kim@Example.com", kimID)
		lee := place("lee_1@shop.test", 0)
		pat := place("pat%@shop.test", 0)
		if _, err := f.svc.SetStatus(ctx, pat, checkout.StatusPaid, ""); err != nil {
			t.Fatal(err)
		}
		// Typed as a shopper reads it aloud: no dash, lower case, look-alikes.
		typed := strings.NewReplacer("0", "o", "1", "l", "-", " ").Replace(strings.ToLower(lee))

		for _, c := range []struct {
			name string
			f    checkout.OrderFilter
			want []string // newest first
		}{
			{"all", checkout.OrderFilter{}, []string{pat, lee, kim}},
			{"e-mail start", checkout.OrderFilter{Query: "kim"}, []string{kim}},
			{"e-mail middle", checkout.OrderFilter{Query: "example"}, []string{kim}},
			{"e-mail, other case", checkout.OrderFilter{Query: "KIM@EXAMPLE.COM"}, []string{kim}},
			{"domain", checkout.OrderFilter{Query: "@shop.test"}, []string{pat, lee}},
			{"an underscore is a character", checkout.OrderFilter{Query: "e_1"}, []string{lee}},
			{"a percent sign is a character", checkout.OrderFilter{Query: "t%@"}, []string{pat}},
			{"number start", checkout.OrderFilter{Query: strings.ToLower(kim[:4])}, []string{kim}},
			{"number past the dash", checkout.OrderFilter{Query: " " + kim[:7] + " "}, []string{kim}},
			{"number without dash", checkout.OrderFilter{Query: strings.ReplaceAll(kim[:6], "-", "")}, []string{kim}},
			{"whole number as typed", checkout.OrderFilter{Query: typed}, []string{lee}},
			{"middle of a number", checkout.OrderFilter{Query: kim[5:]}, nil},
			{"status", checkout.OrderFilter{Status: checkout.StatusPaid}, []string{pat}},
			{"status and search", checkout.OrderFilter{Status: checkout.StatusPendingPayment, Query: "shop.test"}, []string{lee}},
			{"customer", checkout.OrderFilter{CustomerID: kimID}, []string{kim}},
			{"page 2 of 2", checkout.OrderFilter{Page: 2, PerPage: 2}, []string{kim}},
			{"past the end", checkout.OrderFilter{Page: 3, PerPage: 2}, nil},
		} {
			list, err := f.svc.ListOrders(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []string
			for _, o := range list.Orders {
				got = append(got, o.Number)
			}
			wantTotal := len(c.want)
			if c.f.PerPage == 2 {
				wantTotal = 3
			}
			if !slices.Equal(got, c.want) || list.Total != wantTotal {
				t.Errorf("%s: %v of %d; want %v of %d", c.name, got, list.Total, c.want, wantTotal)
			}
		}

		list, err := f.svc.ListOrders(ctx, checkout.OrderFilter{Query: kim})
		if err != nil || len(list.Orders) != 1 {
			t.Fatalf("by number: %v, %v", list, err)
		}
		o := list.Orders[0]
		if o.Email != "Kim@Example.com" || o.CustomerID != kimID || o.Status != checkout.StatusPendingPayment ||
			o.TotalCents == 0 || o.Currency == "" || o.CreatedAt.Location() != time.UTC {
			t.Errorf("summary %+v", o)
		}
		if list.Page != 1 || list.PerPage != checkout.DefaultOrdersPerPage {
			t.Errorf("page %d per %d; want 1 per %d", list.Page, list.PerPage, checkout.DefaultOrdersPerPage)
		}
		if list, _ := f.svc.ListOrders(ctx, checkout.OrderFilter{PerPage: 5000}); list.PerPage != checkout.MaxOrdersPerPage {
			t.Errorf("per page %d; want it clamped to %d", list.PerPage, checkout.MaxOrdersPerPage)
		}

		for _, bad := range []struct {
			f     checkout.OrderFilter
			field string
		}{
			{checkout.OrderFilter{Status: "lost"}, "status"},
			{checkout.OrderFilter{Query: "\xff"}, "q"},
			{checkout.OrderFilter{Query: "a\x00b"}, "q"},
			{checkout.OrderFilter{Query: strings.Repeat("x", checkout.MaxOrderQueryLen+1)}, "q"},
		} {
			if _, err := f.svc.ListOrders(ctx, bad.f); fault.FieldOf(err) != bad.field {
				t.Errorf("ListOrders(%+v) = %v; want a fault for %q", bad.f, err, bad.field)
			}
		}
	})
}

// TestNextIsTheWorkflow: the moves Next offers are exactly those SetStatus
// makes, from every status (the admin builds its buttons from Next).
func TestNextIsTheWorkflow(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	f := newFixture(t, db)
	v := f.product(t, 1000, 1000)
	paths := map[checkout.Status][]checkout.Status{
		checkout.StatusPendingPayment: nil,
		checkout.StatusPaid:           {checkout.StatusPaid},
		checkout.StatusFulfilled:      {checkout.StatusPaid, checkout.StatusFulfilled},
		checkout.StatusCancelled:      {checkout.StatusCancelled},
		checkout.StatusRefunded:       {checkout.StatusPaid, checkout.StatusRefunded},
	}
	for _, from := range checkout.Statuses() {
		for _, to := range checkout.Statuses() {
			o := f.guest(t)
			f.fill(t, o, 1, v[0])
			order, _, err := f.svc.Place(ctx, request(o, newKey()))
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range paths[from] {
				if _, err := f.svc.SetStatus(ctx, order.Number, st, ""); err != nil {
					t.Fatalf("%s: %v", st, err)
				}
			}
			_, err = f.svc.SetStatus(ctx, order.Number, to, "")
			if offered := slices.Contains(checkout.Next(from), to); offered != (err == nil) {
				t.Errorf("%s → %s: offered %v, SetStatus %v", from, to, offered, err)
			}
		}
	}
	if _, ok := checkout.ParseStatus("lost"); ok {
		t.Error("ParseStatus accepts an unknown status")
	}
	for _, st := range checkout.Statuses() {
		if got, ok := checkout.ParseStatus(string(st)); !ok || got != st {
			t.Errorf("ParseStatus(%q) = %q, %v", st, got, ok)
		}
	}
}
