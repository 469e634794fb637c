package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
	"golang.org/x/text/language"
)

var home = customer.Address{Name: "Ada Lovelace", Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB", Phone: "+44 20 7946 0000"}

func TestValidateAddress(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name   string
		edit   func(a *customer.Address)
		fields []string
	}{
		{"valid", func(a *customer.Address) {}, nil},
		{"valid without optional fields", func(a *customer.Address) { a.Line2, a.Phone = "", "" }, nil},
		{"non-ASCII text", func(a *customer.Address) { a.Name, a.City, a.Country = "Zoë Ærø", "København", "DK" }, nil},
		{"200 characters", func(a *customer.Address) { a.Line1 = strings.Repeat("ü", 200) }, nil},
		{"5,000-character fields", func(a *customer.Address) { a.Name, a.Line1, a.Line2, a.City = long, long, long, long },
			[]string{"name", "line1", "line2", "city"}},
		{"201 characters", func(a *customer.Address) { a.Line1 = strings.Repeat("ü", 201) }, []string{"line1"}},
		{"invalid UTF-8", func(a *customer.Address) { a.City = "Lon\xffdon" }, []string{"city"}},
		{"control character", func(a *customer.Address) { a.Line1 = "12 Square\x07" }, []string{"line1"}},
		{"line break", func(a *customer.Address) { a.Name = "Ada\r\nBcc: x" }, []string{"name"}},
		{"missing required", func(a *customer.Address) { a.Name, a.Line1, a.City, a.PostalCode, a.Country = "", " ", "", "", "" },
			[]string{"name", "line1", "city", "postal_code", "country"}},
		{"postal code too long", func(a *customer.Address) { a.PostalCode = strings.Repeat("1", 21) }, []string{"postal_code"}},
		{"unknown country", func(a *customer.Address) { a.Country = "XX" }, []string{"country"}},
		{"user-assigned code", func(a *customer.Address) { a.Country = "XK" }, []string{"country"}},
		{"alpha-3", func(a *customer.Address) { a.Country = "GBR" }, []string{"country"}},
		{"lower case (normalize first)", func(a *customer.Address) { a.Country = "gb" }, []string{"country"}},
		{"country name", func(a *customer.Address) { a.Country = "Deutschland" }, []string{"country"}},
		{"phone with letters", func(a *customer.Address) { a.Phone = "call me maybe" }, []string{"phone"}},
		{"phone too long", func(a *customer.Address) { a.Phone = strings.Repeat("1", 41) }, []string{"phone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := home
			tc.edit(&a)
			err := customer.ValidateAddress(a)
			if got := fields(err); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v (%v), want %v", got, err, tc.fields)
			}
			if err != nil && (fault.CodeOf(err) != fault.Invalid || fault.FieldOf(err) != tc.fields[0] || fault.MessageOf(err) == "") {
				t.Errorf("error %v: code %s field %q", err, fault.CodeOf(err), fault.FieldOf(err))
			}
		})
	}
}

func TestCountryTable(t *testing.T) {
	t.Parallel()
	cs := customer.Countries()
	if len(cs) != 249 {
		t.Errorf("%d countries, want the 249 of ISO 3166-1", len(cs))
	}
	for _, c := range cs {
		r, err := language.ParseRegion(c)
		if err != nil || !r.IsCountry() || r.String() != c {
			t.Errorf("%s is not an ISO 3166-1 country according to x/text (%v)", c, err)
		}
	}
	for _, c := range []string{"DE", "US", "FR", "SS", "CW", "BQ", "SX"} {
		if !customer.IsCountry(c) {
			t.Errorf("%s missing", c)
		}
	}
	if !slices.IsSorted(cs) || len(slices.Compact(slices.Clone(cs))) != len(cs) {
		t.Errorf("Countries() is not sorted and unique")
	}
	for _, c := range cs {
		if n := customer.CountryName(c); n == c || n == "" {
			t.Errorf("%s has no name", c)
		}
	}
	for code, want := range map[string]string{"DE": "Germany", "JP": "Japan", "GB": "United Kingdom", "KR": "South Korea",
		"BO": "Bolivia", "XX": "XX", "de": "de", "": ""} {
		if got := customer.CountryName(code); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestAddressBook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		ada, bob := register(t, s, "ada@example.com"), register(t, s, "bob@example.com")

		messy := home
		messy.Name, messy.Country = "  Ada Lovelace ", " gb "
		a, err := s.AddAddress(ctx, ada.ID, messy)
		if err != nil {
			t.Fatal(err)
		}
		want := home
		want.ID = a.ID
		if a.ID == 0 || a != want {
			t.Errorf("saved %+v, want %+v", a, want)
		}
		second := home
		second.Line1 = "1 Other Street"
		b, err := s.AddAddress(ctx, ada.ID, second)
		if err != nil {
			t.Fatal(err)
		}
		bad := home
		bad.City = strings.Repeat("c", 5000)
		if _, err := s.AddAddress(ctx, ada.ID, bad); fault.FieldOf(err) != "city" {
			t.Errorf("bad address: %v", err)
		}
		got, err := s.Addresses(ctx, ada.ID)
		if err != nil || len(got) != 2 || got[0] != a || got[1].ID != b.ID {
			t.Fatalf("Addresses = %+v, %v", got, err)
		}
		if got, err := s.Addresses(ctx, bob.ID); err != nil || len(got) != 0 {
			t.Errorf("bob sees %+v, %v", got, err)
		}

		// Bob cannot delete Ada's address, and learns nothing from trying.
		errOther := s.DeleteAddress(ctx, bob.ID, a.ID)
		errNone := s.DeleteAddress(ctx, bob.ID, 987654)
		if fault.CodeOf(errOther) != fault.NotFound || fault.MessageOf(errOther) != fault.MessageOf(errNone) {
			t.Errorf("deleting another's address: %v (none: %v)", errOther, errNone)
		}
		if got, _ := s.Addresses(ctx, ada.ID); len(got) != 2 {
			t.Errorf("ada has %d addresses after bob's attempt", len(got))
		}
		if err := s.DeleteAddress(ctx, ada.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAddress(ctx, ada.ID, a.ID); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("second delete: %v", err)
		}
		if got, _ := s.Addresses(ctx, ada.ID); len(got) != 1 || got[0].ID != b.ID {
			t.Errorf("after delete: %+v", got)
		}
	})
}

func TestAddressBookIsBounded(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, _ := newService(db)
	ada := register(t, s, "ada@example.com")
	for i := range 50 {
		if _, err := s.AddAddress(context.Background(), ada.ID, home); err != nil {
			t.Fatalf("address %d: %v", i+1, err)
		}
	}
	if _, err := s.AddAddress(context.Background(), ada.ID, home); fault.CodeOf(err) != fault.Conflict {
		t.Errorf("51st address: %v", err)
	}
}
