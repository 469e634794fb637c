package edge

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
)

// statusPageHTML is the human status page: self-contained (the admin
// listener is private and may have no route to the internet). The
// backends' plots are inline SVG drawn here from the edge's history
// (history.go); a few lines of JS poll GET /_agora/status every second,
// draw the cache's last two minutes, and take the backends' section anew
// from the page every other second.
//
//go:embed statuspage.html
var statusPageHTML string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"bytes":   formatBytes,
	"percent": func(r float64) string { return fmt.Sprintf("%.1f %%", r*100) },
}).Parse(statusPageHTML))

// serveStatusPage answers GET /_agora/. html/template escapes what the
// server renders; the script writes with textContent only. The CSP lets
// nothing load or run but the page's own nonce-tagged script and style.
func (e *Edge) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawStdEncoding.EncodeToString(b[:])
	var buf bytes.Buffer
	st := e.Status()
	if err := statusPage.Execute(&buf, struct {
		Status
		Nonce     string
		Backends  []backendView
		PlotWidth int
		Extra     template.HTML // agora up's pool section (extra.go)
	}{st, nonce, backendViews(st), historyLen - 1, e.scaleHTML(nonce)}); err != nil {
		e.Log.Error("edge: status page", "err", err)
		http.Error(w, "status page failed; see the edge's log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+
		"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	_, _ = buf.WriteTo(w)
}

// formatBytes writes n in binary units, as --cache-size reads them.
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
