// Package admin serves the merchant's admin pages under /admin: staff
// login, the dashboard, products with variants and images, the category
// tree, orders and their status workflow, customers, discount codes, store
// settings and API keys. Pages are rendered on the server and work without
// JavaScript; every answer is private (never stored by a cache), every
// change is a POST that redirects when it succeeds (Post/Redirect/Get) and
// re-renders the form with a message next to each wrong field when it does
// not. It has no SQL of its own: it reads and writes through the packages
// that own the tables (catalog, checkout, customer, staff, media).
package admin

import (
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/importjob"
	"agora/internal/media"
	"agora/internal/page"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/web"
)

// Handler serves the admin. Set its fields, then call Register; after that
// it is only read, so it is safe for concurrent use.
type Handler struct {
	// DB is handed to media's record functions (uploads, thumbnails) only.
	DB        *store.DB
	Catalog   *catalog.Catalog
	Checkout  *checkout.Service
	Customers *customer.Service
	Staff     *staff.Service
	Media     *media.Store
	// Log receives 5xx causes. If nil, slog.Default().
	Log *slog.Logger
	// Assets names the stylesheet's hashed URL. If nil, the embedded assets
	// are loaded (the storefront serves /static/ either way).
	Assets *web.Assets
	// StoreName is shown in the header and titles. If "", "Agora".
	StoreName string
	// Now is the dashboard's clock ("today", "this week", in UTC). If nil,
	// time.Now.
	Now func() time.Time
	// MaxUploadBytes bounds one image upload. If 0, 20 MiB (media's own
	// default); the app's body limit must let that much through on /admin/.
	MaxUploadBytes int64
	// Imports runs CSV imports uploaded here; nil hides the import pages.
	Imports *importjob.Service
	// CardMode is the card payments' mode, "test" or "live", shown on
	// order pages; "" without card payments.
	CardMode string

	once  sync.Once
	pages map[string]*template.Template // by page name; set once
	err   error                         // template parse error; set once
}

// Register mounts the admin on mux. Every page but the login form sits
// behind Staff.RequireUI with the permission it needs ("" = any staff).
// It panics if the embedded templates are broken, which the tests rule out.
// When Staff.Forbidden is nil, Register sets it to the admin's own 403 page
// (Staff must not be serving yet).
func (h *Handler) Register(mux *http.ServeMux) {
	if err := h.init(); err != nil {
		panic("admin: " + err.Error())
	}
	if h.Staff.Forbidden == nil {
		// The 403 of RequireUI in the admin's frame, with its navigation.
		h.Staff.Forbidden = http.HandlerFunc(h.forbidden)
	}
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) { page.SeeOther(w, r, "/admin/") })
	mux.HandleFunc("GET /admin/login", h.loginPage)
	mux.HandleFunc("POST /admin/login", h.loginPost)
	mux.HandleFunc("POST /admin/logout", h.logoutPost)

	for _, rt := range h.routes() {
		mux.Handle(rt.pattern, h.Staff.RequireUI(rt.perm, http.HandlerFunc(rt.fn)))
	}
	// Anything else under /admin/ is the admin's own 404, still behind a
	// login so the admin's shape is not probed from outside.
	mux.Handle("/admin/", h.Staff.RequireUI("", http.HandlerFunc(h.notFound)))
}

type route struct {
	pattern string
	perm    staff.Perm
	fn      http.HandlerFunc
}

// routes lists the pages and actions with the permission each needs.
// Reading the catalog needs none (staff.Allowed): any staff may look.
func (h *Handler) routes() []route {
	const (
		none      = staff.Perm("")
		catalogW  = staff.Perm("catalog.write")
		ordersR   = staff.Perm("orders.read")
		ordersW   = staff.Perm("orders.write")
		customers = staff.Perm("customers.read")
		discounts = staff.Perm("discounts.write")
		settings  = staff.Perm("settings.write")
		apikeys   = staff.Perm("apikeys.manage")
		people    = staff.Perm("staff.manage")
	)
	return []route{
		{"GET /admin/{$}", none, h.dashboard},

		{"GET /admin/products", none, h.products},
		{"GET /admin/products/export.csv", none, h.productsExport},
		{"GET /admin/imports", catalogW, h.importsList},
		{"POST /admin/imports", catalogW, h.importUpload},
		{"GET /admin/imports/{id}", catalogW, h.importShow},
		{"GET /admin/imports/{id}/progress", catalogW, h.importProgress},
		{"POST /admin/imports/{id}/confirm", catalogW, h.importAction((*importjob.Service).Confirm, "import-confirmed")},
		{"POST /admin/imports/{id}/cancel", catalogW, h.importAction((*importjob.Service).Cancel, "import-cancelled")},
		{"POST /admin/imports/{id}/undo", catalogW, h.importAction((*importjob.Service).Undo, "import-undo")},
		{"GET /admin/products/new", catalogW, h.productNew},
		{"POST /admin/products", catalogW, h.productCreate},
		{"GET /admin/products/{id}", none, h.productPage},
		{"POST /admin/products/{id}", catalogW, h.productSave},
		{"POST /admin/products/{id}/archive", catalogW, h.productArchive},
		{"POST /admin/products/{id}/variants", catalogW, h.variantAdd},
		{"POST /admin/products/{id}/variants/{vid}", catalogW, h.variantSave},
		{"POST /admin/products/{id}/images", catalogW, h.imageUpload},
		{"POST /admin/products/{id}/images/move", catalogW, h.imageMove},
		{"POST /admin/products/{id}/images/remove", catalogW, h.imageRemove},

		{"GET /admin/categories", none, h.categories},
		{"POST /admin/categories", catalogW, h.categoryCreate},
		{"POST /admin/categories/{id}", catalogW, h.categorySave},
		{"POST /admin/categories/{id}/delete", catalogW, h.categoryDelete},

		{"GET /admin/orders", ordersR, h.orders},
		{"GET /admin/orders/{number}", ordersR, h.orderPage},
		{"POST /admin/orders/{number}/status", ordersW, h.orderStatus},
		{"POST /admin/orders/{number}/refunds", ordersW, h.orderRefund},

		{"GET /admin/customers", customers, h.customers},
		{"GET /admin/customers/{id}", customers, h.customerPage},

		{"GET /admin/discounts", discounts, h.discounts},
		{"POST /admin/discounts", discounts, h.discountCreate},

		{"GET /admin/settings", settings, h.settingsPage},
		{"POST /admin/settings", settings, h.settingsSave},

		{"GET /admin/staff", people, h.staffList},
		{"POST /admin/staff", people, h.staffInvite},
		{"POST /admin/staff/{id}/role", people, h.staffRole},
		{"POST /admin/staff/{id}/disable", people, h.staffDisable(true)},
		{"POST /admin/staff/{id}/enable", people, h.staffDisable(false)},

		{"GET /admin/api-keys", apikeys, h.apiKeys},
		{"POST /admin/api-keys", apikeys, h.apiKeyCreate},
		{"POST /admin/api-keys/{id}/revoke", apikeys, h.apiKeyRevoke},
	}
}

// init loads assets (if unset) and parses the templates, once.
func (h *Handler) init() error {
	h.once.Do(func() {
		if h.Assets == nil {
			h.Assets, h.err = web.LoadAssets()
			if h.err != nil {
				return
			}
		}
		h.pages, h.err = h.parseTemplates()
	})
	return h.err
}

func (h *Handler) storeName() string {
	if h.StoreName != "" {
		return h.StoreName
	}
	return "Agora"
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) mediaURL(key string) string {
	if h.Media != nil {
		return h.Media.URL(key)
	}
	return "/media/" + key
}
