// Package api serves Agora's JSON API (DESIGN.md, "Public JSON API") under
// /api/v1/: the public catalog reads, and the shopping and admin endpoints
// that write (carts, checkout, accounts, products, orders). The public
// reads are:
//
//	GET /api/v1/products?category=&q=&sort=&page=&per_page=  a page of products
//	GET /api/v1/products/{slug}                               one product
//	GET /api/v1/categories                                    the category tree
//
// Listing parameters: sort is one of catalog.Sorts (default relevance); page
// and per_page are whole numbers from 1; per_page above 100
// (catalog.MaxPerPage) is clamped to 100, not refused, and the response's
// per_page says what was used; q is at most 200 characters.
//
// Responses are public and tagged (Surrogate-Key) for the edge's full-page
// cache. Errors are {"error":{"code","message","field"?}} with the status
// fault.Status gives the code. Two statuses have no fault code of their own:
// 405 answers "method_not_allowed" (with Allow) and the app tier's 414 answers
// "too_large".
//
// The shopping endpoints (sessions, customers, cart, checkout, orders,
// password reset) are listed in shopping.go, the staff's admin endpoints in
// admin.go. They are private: every answer, errors included, is
// "Cache-Control: private, no-store".
//
// It reads and writes only through the packages that own the data (catalog,
// cart, checkout, customer, staff, media) and knows nothing of the
// storefront's HTML.
package api

import (
	"log/slog"
	"net/http"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/media"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/stripepay"
)

// Handler serves the read API. Its fields are set once, before Register.
type Handler struct {
	Catalog *catalog.Catalog
	// MediaURL maps a media key to its URL, an absolute path such as
	// "/media/ab12….jpg". If nil, "/media/"+key is used.
	MediaURL func(key string) string
	// Log receives server-side failures (5xx) with their cause.
	// If nil, slog.Default() is used.
	Log *slog.Logger

	// The shopping services. Each group of routes is registered only when
	// the services it needs are set (see shopping.go), so a read-only
	// deployment leaves them nil.
	Sessions  *session.Manager
	Customers *customer.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	// Stripe (if set, with Checkout) serves card payments: the order's
	// PaymentIntent and Stripe's webhooks (payment.go).
	Stripe *stripepay.Stripe

	// The admin API (admin.go), registered only when Staff is set: it
	// authenticates every request by API key. Media and DB serve uploads
	// (left out when either is nil; DB only for media's records), and
	// Checkout (if set) serves the order endpoints.
	Staff *staff.Service
	Media *media.Store
	DB    *store.DB
}

// CatchAll is the pattern that answers every /api/ request no route matches
// (JSON 404, or 405 with Allow). Request metrics treat it as unmatched.
const CatchAll = "/api/"

// Register adds the API's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/products", h.listProducts)
	mux.HandleFunc("GET /api/v1/products/{slug}", h.product)
	mux.HandleFunc("GET /api/v1/categories", h.categories)
	mux.HandleFunc("GET /api/v1/search/suggest", h.suggest)
	h.registerShopping(mux)
	h.registerAdmin(mux)
	mux.Handle(CatchAll, h.fallback(mux))
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func (h *Handler) mediaURL(key string) *string {
	if key == "" {
		return nil
	}
	u := "/media/" + key
	if h.MediaURL != nil {
		u = h.MediaURL(key)
	}
	return &u
}
