package ratelimit

import "strings"

// Class is a kind of request with a limit of its own: a shopper browses
// far more pages than they log in, so one budget for both would either
// let a password guesser through or stop a shopper.
type Class uint8

// The route classes. Unlimited is what no limit applies to: static
// assets and media (immutable, content-addressed, nearly always hits),
// and the staff's and the tiers' own paths.
const (
	Unlimited Class = iota
	Pages
	Search
	Cart
	Login
	Register
	Checkout
	numClasses
)

// Classes lists the limited classes, in the order of their flags.
var Classes = []Class{Pages, Search, Cart, Login, Register, Checkout}

var classNames = [numClasses]string{"unlimited", "pages", "search", "cart", "login", "register", "checkout"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Classify names the class of a request by its method, path and query,
// from the storefront's and the JSON API's routes (internal/storefront,
// internal/api; DESIGN.md "Storefront URLs", "Public JSON API"):
//
//	login     POST /account/login, /account/reset[/…], /admin/login,
//	          /api/v1/session, /api/v1/password-reset[/…]
//	register  POST /account/register, /api/v1/customers
//	cart      POST /cart/items[/…], POST|PATCH|DELETE /api/v1/cart/items[/…]
//	checkout  POST /checkout, /api/v1/checkout
//	search    GET|HEAD /search, /api/v1/products with q=
//	pages     any other GET or HEAD, but /static/ and /media/
//
// Other unsafe requests (addresses, logout, the admin's edits) are not
// limited here: they need a session the app checks.
func Classify(method, path, query string) Class {
	switch method {
	case "GET", "HEAD":
		switch {
		case strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, "/media/"):
			return Unlimited
		case path == "/search":
			return Search
		case path == "/api/v1/products" && hasParam(query, "q"):
			return Search
		}
		return Pages
	case "POST":
		switch {
		case path == "/account/login", path == "/admin/login", path == "/api/v1/session",
			path == "/account/reset", strings.HasPrefix(path, "/account/reset/"),
			path == "/api/v1/password-reset", strings.HasPrefix(path, "/api/v1/password-reset/"):
			return Login
		case path == "/account/register", path == "/api/v1/customers":
			return Register
		case path == "/checkout", path == "/api/v1/checkout":
			return Checkout
		case isCartPath(path):
			return Cart
		}
	case "PATCH", "DELETE":
		if strings.HasPrefix(path, "/api/v1/cart/items/") {
			return Cart
		}
	}
	return Unlimited
}

func isCartPath(p string) bool {
	return p == "/cart/items" || strings.HasPrefix(p, "/cart/items/") ||
		p == "/api/v1/cart/items" || strings.HasPrefix(p, "/api/v1/cart/items/")
}

// hasParam reports whether the raw query has name with a non-empty value.
func hasParam(query, name string) bool {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == name && v != "" {
			return true
		}
	}
	return false
}
