package staff

import (
	"slices"
	"strings"

	"agora/internal/fault"
)

// Role is what a staff account is trusted with.
type Role string

// The roles, from most to least trusted.
const (
	Owner   Role = "owner"   // everything, including staff, API keys and store settings
	Manager Role = "manager" // runs the shop: catalog, orders, customers, discounts
	Clerk   Role = "staff"   // fulfils orders: reads them, changes nothing
)

// Roles lists every role, most trusted first (for forms and help texts).
var Roles = []Role{Owner, Manager, Clerk}

// Perm is one thing a route may require. Reading the catalog needs none:
// any staff member may.
type Perm string

// The permissions.
const (
	CatalogWrite   Perm = "catalog.write"   // products, variants, prices, stock, categories, media, imports
	OrdersRead     Perm = "orders.read"     // order lists and details, the dashboard
	OrdersWrite    Perm = "orders.write"    // status changes, cancel, refund
	CustomersRead  Perm = "customers.read"  // customer accounts and addresses
	DiscountsWrite Perm = "discounts.write" // discount codes
	SettingsWrite  Perm = "settings.write"  // currency, tax, shipping rates
	StaffManage    Perm = "staff.manage"    // staff accounts and roles
	APIKeysManage  Perm = "apikeys.manage"  // create and revoke API keys
)

// grants is the one table of who may do what. Owners hold every
// permission; an API key acts with its owner's role.
var grants = map[Role][]Perm{
	Owner:   {CatalogWrite, OrdersRead, OrdersWrite, CustomersRead, DiscountsWrite, SettingsWrite, StaffManage, APIKeysManage},
	Manager: {CatalogWrite, OrdersRead, OrdersWrite, CustomersRead, DiscountsWrite},
	Clerk:   {OrdersRead},
}

// Allowed reports whether role r holds permission p. The empty Perm means
// "any staff member". Unknown roles and unknown permissions are refused, so
// a misspelt permission on a route fails closed, for owners too.
func Allowed(r Role, p Perm) bool {
	perms, ok := grants[r]
	if !ok {
		return false
	}
	return p == "" || slices.Contains(perms, p)
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	_, ok := grants[r]
	return ok
}

func checkRole(r Role) *fault.Error {
	if r.Valid() {
		return nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return fault.Field("role", "Choose a role: %s.", strings.Join(names, ", "))
}
