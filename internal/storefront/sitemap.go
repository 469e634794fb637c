package storefront

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

// sitemapChunk is how many product URLs one sitemap file lists; the
// protocol allows 50,000, and smaller files are cheaper to regenerate.
const sitemapChunk = 10000

// sitemapNS is the namespace of the sitemap protocol (sitemaps.org 0.9).
const sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

type sitemapIndex struct {
	XMLName  xml.Name      `xml:"sitemapindex"`
	NS       string        `xml:"xmlns,attr"`
	Sitemaps []sitemapLink `xml:"sitemap"`
}

type sitemapLink struct {
	Loc string `xml:"loc"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapIndex serves GET /sitemap.xml: the categories' sitemap and one
// sitemap per chunk of sitemapChunk products.
func (h *Handler) sitemapIndex(w http.ResponseWriter, r *http.Request) {
	n, err := h.Catalog.SitemapCount(r.Context())
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	origin := h.origin(r)
	idx := sitemapIndex{NS: sitemapNS, Sitemaps: []sitemapLink{{Loc: origin + "/sitemap-categories.xml"}}}
	for i := 1; i <= chunks(n); i++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapLink{Loc: origin + "/sitemap-products-" + strconv.Itoa(i) + ".xml"})
	}
	h.writeXML(w, r, idx)
}

// sitemapCategories serves GET /sitemap-categories.xml: the home page and
// every category.
func (h *Handler) sitemapCategories(w http.ResponseWriter, r *http.Request) {
	tree, err := h.Catalog.Tree(r.Context())
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	origin := h.origin(r)
	set := urlSet{NS: sitemapNS, URLs: []sitemapURL{{Loc: origin + "/"}}}
	var walk func([]*catalog.Category)
	walk = func(cats []*catalog.Category) {
		for _, c := range cats {
			set.URLs = append(set.URLs, sitemapURL{Loc: origin + "/categories/" + c.Slug})
			walk(c.Children)
		}
	}
	walk(tree)
	h.writeXML(w, r, set)
}

// sitemapProducts serves GET /sitemap-products-{n}.xml, n from 1. It is
// mounted as "GET /{file}" (see Register), so any other single-segment path
// that reaches it gets the 404 page.
func (h *Handler) sitemapProducts(w http.ResponseWriter, r *http.Request) {
	n, ok := chunkNumber(r.PathValue("file"))
	if !ok {
		h.NotFound(w, r)
		return
	}
	total, err := h.Catalog.SitemapCount(r.Context())
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	if n > chunks(total) {
		h.NotFound(w, r)
		return
	}
	entries, err := h.Catalog.SitemapProducts(r.Context(), (n-1)*sitemapChunk, sitemapChunk)
	if err != nil {
		h.ServerError(w, r, err)
		return
	}
	origin := h.origin(r)
	set := urlSet{NS: sitemapNS, URLs: make([]sitemapURL, 0, len(entries))}
	for _, e := range entries {
		u := sitemapURL{Loc: origin + "/products/" + e.Slug}
		if !e.UpdatedAt.IsZero() {
			u.LastMod = e.UpdatedAt.UTC().Format(time.RFC3339)
		}
		set.URLs = append(set.URLs, u)
	}
	h.writeXML(w, r, set)
}

// chunkNumber parses "sitemap-products-{n}.xml"; n is a positive decimal
// without leading zeros, so each chunk has one URL.
func chunkNumber(file string) (int, bool) {
	s, ok := strings.CutPrefix(file, "sitemap-products-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, ".xml")
	if !ok || s == "" || s[0] == '0' || len(s) > 9 || !isAllDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func chunks(products int) int { return (products + sitemapChunk - 1) / sitemapChunk }

// writeXML marshals v as an XML document with the Short cache policy.
func (h *Handler) writeXML(w http.ResponseWriter, r *http.Request, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		h.ServerError(w, r, fmt.Errorf("storefront: sitemap: %w", err))
		return
	}
	body = append([]byte(xml.Header), body...)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/xml; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	cachehdr.Set(hdr, cachehdr.Short)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
