package storefront_test

import (
	"bytes"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

// TestBadInput: every malformed or unknown URL gets a friendly HTML page
// with the right status, and says what was wrong.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		long := strings.Repeat("a", 201)
		tests := []struct {
			path   string
			status int
			says   string
		}{
			{"/categories/no-such-category", 404, "We couldn&#39;t find that page"},
			{"/products/no-such-product", 404, "We couldn&#39;t find that page"},
			{"/products/" + url.PathEscape("<script>"), 404, "We couldn&#39;t find that page"},
			{"/sitemap-products-2.xml", 404, "We couldn&#39;t find that page"},
			{"/sitemap-products-0.xml", 404, "We couldn&#39;t find that page"},
			{"/sitemap-products-01.xml", 404, "We couldn&#39;t find that page"},
			{"/sitemap-products-x.xml", 404, "We couldn&#39;t find that page"},
			{"/no-such-page", 404, "We couldn&#39;t find that page"},
			{"/categories/shirts?page=abc", 400, "The page number must be a whole number of 1 or more, not &#34;abc&#34;."},
			{"/categories/shirts?page=-1", 400, "The page number must be a whole number"},
			{"/categories/shirts?page=0", 400, "The page number must be a whole number"},
			{"/categories/shirts?page=99999999", 400, "Page numbers go up to 10000."},
			{"/categories/shirts?sort=cheapest", 400, "Unknown sort order &#34;cheapest&#34;: use one of relevance, price_asc, price_desc, newest, name."},
			{"/categories/shirts?per_page=abc", 400, "The number of products per page must be a whole number from 1 to 100"},
			{"/categories/shirts?per_page=0", 400, "The number of products per page must be a whole number from 1 to 100"},
			{"/categories/shirts?sort=" + urlQuery("<b>x</b>"), 400, "&lt;b&gt;x&lt;/b&gt;"},
			{"/search?q=" + long, 400, "Search text can be at most 200 characters long"},
			{"/search?q=sock&page=0", 400, "The page number must be a whole number"},
			{"/search?q=sock&sort=best", 400, "Unknown sort order"},
		}
		for _, tc := range tests {
			res := s.get(t, tc.path)
			if res.status != tc.status {
				t.Errorf("GET %s: status %d, want %d", tc.path, res.status, tc.status)
			}
			if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q, want an HTML page", tc.path, ct)
			}
			wantCache := cachehdr.NotFound
			if tc.status == 400 {
				wantCache = cachehdr.Private
			}
			if cc := res.header.Get("Cache-Control"); cc != wantCache {
				t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, cc, wantCache)
			}
			if res.header.Get("Surrogate-Key") != "" {
				t.Errorf("GET %s: error page carries tags %q", tc.path, res.header.Get("Surrogate-Key"))
			}
			mustContain(t, tc.path, res.body, tc.says, `<a href="/">Back to the home page</a>`, `<meta name="robots" content="noindex">`)
			mustNotContain(t, tc.path, res.body, "<b>x</b>", "<script>")
		}
	})
}

// TestServerError: when the database fails, the visitor gets a friendly 500
// page that no cache keeps and that shows nothing of the cause, which is
// logged instead.
func TestServerError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		var logs syncBuffer
		s.h.Log = slog.New(slog.NewTextHandler(&logs, nil))
		db.Close() // the data tier goes away
		for _, path := range []string{"/", "/products/oxford-shirt", "/categories/shirts", "/search?q=shirt", "/sitemap.xml"} {
			res := s.get(t, path)
			if res.status != 500 {
				t.Errorf("GET %s: status %d, want 500", path, res.status)
			}
			if cc := res.header.Get("Cache-Control"); cc != cachehdr.Private {
				t.Errorf("GET %s: Cache-Control %q, want %q", path, cc, cachehdr.Private)
			}
			if path != "/sitemap.xml" {
				mustContain(t, path, res.body, "Something went wrong on our side", "Please try again in a moment.")
			}
			mustNotContain(t, path, res.body, "closed", "sql", "catalog:")
		}
		if !strings.Contains(logs.String(), "storefront: server error") || !strings.Contains(logs.String(), "closed") {
			t.Errorf("the cause was not logged:\n%s", logs.String())
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
