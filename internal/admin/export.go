package admin

import (
	"net/http"
	"time"

	"agora/internal/csvio"
)

// productsExport serves GET /admin/products/export.csv: the whole catalog
// in the import's format (issue 16), streamed page by page from one
// snapshot, so memory stays flat however large the catalog. An error
// after the first bytes can only cut the file short: it is logged, and
// the download fails in the browser rather than look complete (the
// connection is aborted, not ended).
func (h *Handler) productsExport(w http.ResponseWriter, r *http.Request) {
	if h.DB == nil {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="products-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	if err := csvio.Export(r.Context(), h.DB, w); err != nil {
		h.log().Error("admin: export failed mid-file", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}
