// Package storefront serves the server-rendered shop pages: the public ones
// (home, category listings, product pages, search, sitemaps and robots.txt)
// and, when its shopping services are set, the private ones (cart,
// checkout, order confirmation, accounts), plus the friendly error pages.
// Every public page is identical for every visitor (DESIGN.md, "Full-page
// caching"): it never reads cookies, never sets one, and leaves the
// visitor's cart count and name to app.js. The private pages are never
// stored by a cache, and write only through the shopping services.
package storefront

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/clientaddr"
	"agora/internal/customer"
	"agora/internal/session"
	"agora/internal/stripepay"
	"agora/web"
)

// Handler serves the storefront pages. Build it with New, or as a literal
// with at least Catalog set: the templates are then parsed on first use
// (Register does so at once and panics if the embedded templates are
// broken, which the tests rule out). The optional fields may be set until
// the handler serves its first request; after that it is only read, so it is
// safe for concurrent use.
type Handler struct {
	Catalog *catalog.Catalog
	// Assets serves /static/ and names asset URLs in pages. If nil, the
	// embedded assets are loaded.
	Assets *web.Assets
	// MediaURL returns the URL of a media object. If nil, "/media/"+key.
	MediaURL func(key string) string
	// PublicURL is the canonical origin, such as "https://shop.example",
	// used in canonical links, sitemaps and structured data. If "", it is
	// derived from each request (Host, and the scheme a trusted proxy
	// reported): production should set it, since Host is the client's to
	// choose. Links in e-mails never use this fallback (customer.Service).
	PublicURL string
	// StoreName is shown in the header and titles. If "", "Agora".
	StoreName string
	// Log receives 5xx causes. If nil, slog.Default().
	Log *slog.Logger

	// The shopping services. Each group of private pages is mounted only
	// when the services it needs are set: the cart with Sessions and Carts,
	// the checkout and order pages with Checkout too, the accounts with
	// Sessions, Customers and Carts (Checkout adds the order history).
	Sessions  *session.Manager
	Customers *customer.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	// Stripe (with Checkout) serves the card payment page
	// /checkout/pay/{number} (pay.go). If nil, card is not offered.
	Stripe *stripepay.Stripe
	// OrdersPerPage is how many orders a page of the account's history
	// shows. If 0, 20.
	OrdersPerPage int

	once  sync.Once
	pages map[string]*template.Template // by page name; set once
	err   error                         // template parse error; set once
}

// New returns a Handler over cat with the embedded assets and templates,
// both loaded now so a broken build fails at startup, not on a request.
func New(cat *catalog.Catalog) (*Handler, error) {
	h := &Handler{Catalog: cat}
	if err := h.init(); err != nil {
		return nil, err
	}
	return h, nil
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

// Register mounts the storefront routes on mux.
//
// The product sitemap chunks (/sitemap-products-{n}.xml) cannot be a
// ServeMux pattern, whose wildcards span whole segments, so they are served
// by "GET /{file}", which answers 404 for any other single-segment path.
// Literal patterns such as "GET /cart" still take precedence over it; a
// method-less single-segment pattern ("/healthz") would conflict with it.
func (h *Handler) Register(mux *http.ServeMux) {
	if err := h.init(); err != nil {
		panic("storefront: " + err.Error())
	}
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /categories/{slug}", h.category)
	mux.HandleFunc("GET /products/{slug}", h.product)
	mux.HandleFunc("GET /search", h.search)
	mux.HandleFunc("GET /sitemap.xml", h.sitemapIndex)
	mux.HandleFunc("GET /sitemap-categories.xml", h.sitemapCategories)
	mux.HandleFunc("GET /{file}", h.sitemapProducts)
	mux.HandleFunc("GET /robots.txt", h.robots)
	mux.Handle("GET /static/", h.Assets)
	h.registerShop(mux)
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

// media returns the URL of a media object as pages link it.
func (h *Handler) media(key string) string {
	if h.MediaURL != nil {
		return h.MediaURL(key)
	}
	return "/media/" + key
}

// origin returns the scheme and host pages are served under, without a
// trailing slash: PublicURL, else the request's Host with the scheme the
// client used (told by a trusted proxy; see clientaddr). X-Forwarded-Host
// is never followed: a link must not be steered by a header (issue 9).
func (h *Handler) origin(r *http.Request) string {
	if h.PublicURL != "" {
		return strings.TrimSuffix(h.PublicURL, "/")
	}
	scheme := "http"
	if clientaddr.HTTPS(r) {
		scheme = "https"
	}
	host := r.Host
	if !validHost(host) {
		host = "localhost"
	}
	return scheme + "://" + host
}

// absolute turns a path or URL into an absolute URL under the origin.
func (h *Handler) absolute(r *http.Request, u string) string {
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") {
		return h.origin(r) + u
	}
	return u
}

// validHost accepts host[:port] made of the characters a DNS name, an IPv4
// or a bracketed IPv6 address can hold, so a forged header cannot inject
// markup or a path into canonical URLs.
func validHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	for _, c := range host {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}
