// Package cachehdr holds the cache contract between the app tier and the
// edge (DESIGN.md, "What pages carry"): which Cache-Control each kind of
// response gets and how its Surrogate-Key tags are named and written. Handlers
// call it instead of writing these headers by hand, so the contract lives in
// one place. It must not depend on any other Agora package.
package cachehdr

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// Cache-Control values of the contract.
const (
	// Page is for public pages shared by every shopper: home, category,
	// product. Five minutes fresh at shared caches, refreshed in the
	// background for a minute after, and served stale for a day when the app
	// tier is down. Browsers (max-age absent) revalidate every time.
	Page = "public, max-age=0, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"
	// Search is for search results: fresher, since they mix many products.
	Search = "public, max-age=0, s-maxage=60, stale-while-revalidate=30, stale-if-error=86400"
	// API is for the public read API (products, categories).
	API = Page
	// Immutable is for content-hashed URLs: static assets and media.
	Immutable = "public, max-age=31536000, immutable"
	// Private is for anything about one visitor: cart, checkout, account,
	// admin, session, every non-GET response, and errors that must not be
	// cached.
	Private = "private, no-store"
	// Short is for small public documents that change with the catalog but
	// are not tagged per product (robots.txt, sitemaps).
	Short = "public, max-age=0, s-maxage=3600, stale-while-revalidate=600, stale-if-error=86400"
	// NotFound lets shared caches absorb floods of requests for missing
	// pages for a minute.
	NotFound = "public, max-age=0, s-maxage=60, stale-if-error=3600"
)

// Header names.
const (
	HeaderTags = "Surrogate-Key"
)

// Tag names, shared with the purge log and the edge.
const (
	TagHome = "home"
	// TagCategories marks every response showing the category tree or the
	// header's top categories, so renaming or moving a category refreshes
	// the navigation everywhere.
	TagCategories = "categories"
)

// ProductTag is the tag of every page showing product id.
func ProductTag(id int64) string { return "product-" + strconv.FormatInt(id, 10) }

// CategoryTag is the tag of every listing of category id.
func CategoryTag(id int64) string { return "category-" + strconv.FormatInt(id, 10) }

// Set writes Cache-Control and, when tags are given, Surrogate-Key.
func Set(h http.Header, cacheControl string, tags ...string) {
	h.Set("Cache-Control", cacheControl)
	if len(tags) > 0 {
		h.Set(HeaderTags, strings.Join(tags, " "))
	}
}

// SetPrivate marks a response as about one visitor: never stored by any cache.
func SetPrivate(h http.Header) {
	h.Set("Cache-Control", Private)
	h.Del(HeaderTags)
}

// Tags collects tags without duplicates, in the order first added.
type Tags struct {
	list []string
	seen map[string]struct{}
}

// Add appends tags not already present.
func (t *Tags) Add(tags ...string) {
	if t.seen == nil {
		t.seen = make(map[string]struct{}, len(tags))
	}
	for _, tag := range tags {
		if _, ok := t.seen[tag]; ok || tag == "" {
			continue
		}
		t.seen[tag] = struct{}{}
		t.list = append(t.list, tag)
	}
}

// List returns the tags in the order added.
func (t *Tags) List() []string { return t.list }

// MaxTagBytes bounds one tag in a purge; a URL purge travels as a tag.
const MaxTagBytes = 1024

// CheckTag says what is wrong with a tag given to a purge, if anything: the
// purge log and Surrogate-Key hold tags space separated, so a tag is one
// non-empty token without spaces or control characters.
func CheckTag(t string) error {
	switch {
	case t == "":
		return errors.New("a tag cannot be empty")
	case len(t) > MaxTagBytes:
		return fmt.Errorf("tag %q… is longer than %d bytes", t[:32], MaxTagBytes)
	case strings.ContainsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("tag %q holds a space or control character: a tag is one token", t)
	}
	return nil
}

// trackingParams are query parameters that never change a page (campaign
// and click ids): the edge leaves them out of its cache key, so campaign
// links share one cached copy, and listings ignore them rather than refuse
// them as unknown filters (DESIGN.md, "Full-page cache"). Any parameter
// starting with "utm_" is one too.
var trackingParams = map[string]bool{
	"gclid": true, "fbclid": true, "msclkid": true, "mc_cid": true, "mc_eid": true,
}

// Tracking reports whether the query parameter name is a tracking
// parameter, whatever its case.
func Tracking(name string) bool {
	name = strings.ToLower(name)
	return trackingParams[name] || strings.HasPrefix(name, "utm_")
}
