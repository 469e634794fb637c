package storefront

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/customer"
	"agora/internal/money"
	"agora/internal/page"
	"agora/web"
)

// pageNames are the templates that render a whole page; each is parsed on
// top of its own copy of the layout and partials, so each may define its
// own "content" and "head".
var pageNames = []string{"pay", "home", "category", "product", "search", "error",
	"cart", "checkout", "order", "login", "register", "reset", "newpassword", "account"}

func (h *Handler) parseTemplates() (map[string]*template.Template, error) {
	cards := newCards()
	funcs := template.FuncMap{
		"card":    cards.render,
		"asset":   h.Assets.Path,
		"media":   h.media,
		"money":   money.Format,
		"count":   func(n int) string { return money.GroupThousands(strconv.Itoa(n)) },
		"options": formatOptions,
		"inc":     func(i int) int { return i + 1 },
		"date":    formatDate,
		"status":  statusLabel,
		"country": customer.CountryName,
	}
	files := web.Templates()
	base, err := template.New("base").Funcs(funcs).ParseFS(files, "layout.html", "partials.html", "shop.html")
	if err != nil {
		return nil, fmt.Errorf("storefront: parse templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(files, name+".html")
		if err != nil {
			return nil, fmt.Errorf("storefront: parse %s.html: %w", name, err)
		}
		pages[name] = t
	}
	// Cards render through base itself, which may execute only now that
	// every page has its clone.
	cards.tmpl = base
	return pages, nil
}

// render executes page with data and writes it with status and the given
// Cache-Control and tags. A GET whose If-None-Match matches the body's ETag
// gets 304, so edges revalidate stale pages without transferring them.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any, cacheControl string, tags ...string) {
	buf := page.Buffer()
	defer page.Release(buf)
	t, ok := h.pages[name]
	if !ok {
		h.ServerError(w, r, fmt.Errorf("storefront: no template %q", name))
		return
	}
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		if name == "error" {
			// The error page itself failed: fall back to plain text rather
			// than recursing.
			h.log().Error("storefront: render error page", "err", err, "path", r.URL.Path)
			cachehdr.SetPrivate(w.Header())
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		h.ServerError(w, r, fmt.Errorf("storefront: render %s: %w", name, err))
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if cacheControl == cachehdr.Private {
		cachehdr.SetPrivate(hdr)
	} else {
		if status == http.StatusOK {
			// Every page shows the top categories in its header.
			tags = append(tags, cachehdr.TagCategories)
		}
		cachehdr.Set(hdr, cacheControl, tags...)
	}
	if status == http.StatusOK {
		sum := sha256.Sum256(buf.Bytes())
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		hdr.Set("ETag", etag)
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// etagMatch applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}

// layout is what every page's frame needs. Pages embed it.
type layout struct {
	Store       string
	Title       string // without the store name
	Description string
	Canonical   string // absolute URL
	Robots      string // meta robots, "" for the default (index, follow)
	OGType      string // "" means website
	OGImage     string // absolute URL or ""
	PrevURL     string // rel=prev of paginated listings
	NextURL     string
	Query       string // shown in the header's search box
	Nav         []catalog.Category
	NavCurrent  int64 // top category to highlight
}

// newLayout fills the frame's common fields; nav errors leave the nav out
// rather than failing the page (the page's own query will report a broken
// database anyway).
func (h *Handler) newLayout(r *http.Request, title, description, canonicalPath string) layout {
	l := layout{
		Store:       h.storeName(),
		Title:       title,
		Description: description,
	}
	if canonicalPath != "" {
		l.Canonical = h.origin(r) + canonicalPath
	}
	nav, err := h.Catalog.TopCategories(r.Context())
	if err != nil {
		h.log().Warn("storefront: top categories", "err", err)
	}
	l.Nav = nav
	return l
}

// summarize shortens text for meta descriptions to about max characters,
// on a word boundary.
func summarize(text string, max int) string {
	text = strings.Join(strings.Fields(text), " ")
	if len([]rune(text)) <= max {
		return text
	}
	cut := string([]rune(text)[:max])
	if i := strings.LastIndexByte(cut, ' '); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}
