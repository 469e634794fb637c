package staff_test

import (
	"testing"

	"agora/internal/staff"
)

// TestAllowed is the role table of issue 4, spelt out: changing who may do
// what must change this test.
func TestAllowed(t *testing.T) {
	t.Parallel()
	const o, m, s = staff.Owner, staff.Manager, staff.Clerk
	tests := []struct {
		perm  staff.Perm
		allow []staff.Role
	}{
		{"", []staff.Role{o, m, s}}, // any staff member: reading the catalog
		{staff.OrdersRead, []staff.Role{o, m, s}},
		{staff.CatalogWrite, []staff.Role{o, m}},
		{staff.OrdersWrite, []staff.Role{o, m}},
		{staff.CustomersRead, []staff.Role{o, m}},
		{staff.DiscountsWrite, []staff.Role{o, m}},
		{staff.SettingsWrite, []staff.Role{o}},
		{staff.StaffManage, []staff.Role{o}},
		{staff.APIKeysManage, []staff.Role{o}},
		{"settings.wirte", nil}, // a misspelt permission fails closed, even for owners
	}
	for _, tc := range tests {
		for _, r := range []staff.Role{o, m, s, "admin", ""} {
			want := false
			for _, a := range tc.allow {
				want = want || a == r
			}
			if got := staff.Allowed(r, tc.perm); got != want {
				t.Errorf("Allowed(%q, %q) = %v, want %v", r, tc.perm, got, want)
			}
		}
	}
}
