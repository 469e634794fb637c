package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
	"agora/internal/money"
	"agora/internal/page"
	"agora/internal/staff"
	"agora/web"
)

// pageNames are the templates that render a whole page; each is parsed on
// its own copy of the layout and partials, so each defines its "content".
var pageNames = []string{"login", "error", "dashboard", "products", "product_new", "product",
	"categories", "orders", "order", "customers", "customer", "discounts", "settings", "apikeys", "staff", "imports", "import"}

func (h *Handler) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset":    h.Assets.Path,
		"media":    h.mediaURL,
		"thumb":    h.thumbOf,
		"money":    money.Format,
		"decimal":  money.Decimal,
		"options":  formatOptions,
		"date":     formatDate,
		"datetime": formatDateTime,
		"short":    formatShort,
		"status":   statusLabel,
		"country":  countryName,
		"inc":      func(i int) int { return i + 1 },
		"minus":    func(a, b int) int { return a - b },
		"percent":  formatBasisPoints,
		"discount": discountValue,
		"cell":     cell,
	}
	files := web.Templates()
	base, err := template.New("base").Funcs(funcs).ParseFS(files, "admin/layout.html", "admin/partials.html")
	if err != nil {
		return nil, fmt.Errorf("admin: parse templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(files, "admin/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: parse %s.html: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render executes page with data and writes it with status. Every admin
// answer is about one member of staff: private, no-store.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := page.Buffer()
	defer page.Release(buf)
	hdr := w.Header()
	cachehdr.SetPrivate(hdr)
	t, ok := h.pages[name]
	if !ok {
		h.serverError(w, r, fmt.Errorf("admin: no template %q", name))
		return
	}
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		if name == "error" {
			h.log().Error("admin: render error page", "err", err, "path", r.URL.Path)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		h.serverError(w, r, fmt.Errorf("admin: render %s: %w", name, err))
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// layout is what every page's frame needs. Pages embed it.
type layout struct {
	Store   string
	Title   string
	Section string // the nav entry to highlight: "products", "orders"…
	Staff   staff.Staff
	// SignedIn is false on the login page and on error pages shown before
	// a session was found: the frame then has no navigation.
	SignedIn bool
	Notice   string // a green line after a successful change
}

// Can reports whether the signed-in member of staff has permission p, so
// pages show only the links and forms their role may use.
func (l layout) Can(p string) bool {
	return l.SignedIn && staff.Allowed(l.Staff.Role, staff.Perm(p))
}

// newLayout is the frame of a page for the member of staff of r's context.
func (h *Handler) newLayout(r *http.Request, title, section string) layout {
	st, ok := staff.From(r.Context())
	l := layout{Store: h.storeName(), Title: title, Section: section, Staff: st, SignedIn: ok}
	l.Notice = notices[r.URL.Query().Get("done")]
	return l
}

// notices are the messages a redirect after a change may ask for with
// ?done=…, so Post/Redirect/Get needs no session flash.
var notices = map[string]string{
	"created":          "Created.",
	"saved":            "Saved.",
	"archived":         "The product is archived: shoppers no longer see it.",
	"uploaded":         "The image is uploaded.",
	"moved":            "The images are reordered.",
	"removed":          "The image is removed.",
	"deleted":          "Deleted.",
	"status":           "The order status is changed.",
	"refund":           "The refund is made; the items given back are in stock again.",
	"revoked":          "The key is revoked: it stops working at once.",
	"staff-role":       "The role is changed: it applies from the account's next request.",
	"staff-disabled":   "The account is disabled: its sessions ended and its API keys stop working at once.",
	"staff-enabled":    "The account is enabled again: it signs in anew; its API keys work again.",
	"import-confirmed": "The import is confirmed: it is being applied in the background. You may close this page.",
	"import-cancelled": "The import is cancelled: nothing was written.",
	"import-undo":      "The import is being rolled back in the background.",
}
