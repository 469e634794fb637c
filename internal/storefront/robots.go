package storefront

import (
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
)

// disallowed are the private areas crawlers have no business in: pages
// about one visitor, the staff area and the JSON API.
var disallowed = []string{"/cart", "/checkout", "/account", "/admin", "/api/"}

// robots serves GET /robots.txt (RFC 9309): everything public is allowed,
// and the sitemap is named by absolute URL as the protocol requires.
func (h *Handler) robots(w http.ResponseWriter, r *http.Request) {
	body := "User-agent: *\nAllow: /\n"
	for _, p := range disallowed {
		body += "Disallow: " + p + "\n"
	}
	body += "\nSitemap: " + h.origin(r) + "/sitemap.xml\n"
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	cachehdr.Set(hdr, cachehdr.Short)
	if r.Method != http.MethodHead {
		w.Write([]byte(body))
	}
}
