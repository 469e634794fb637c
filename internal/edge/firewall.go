package edge

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"agora/internal/edge/waf"
)

// The web application firewall's place at the edge (issue 12): a request
// is inspected (internal/edge/waf) only when it is about to reach the app
// tier — a miss, a bypass, an unsafe method, a background refresh — never
// when the cache answers it. A hit pays nothing: the fast path never calls
// admit, and the ordinary path calls it only past the store.

// admit runs r through e.WAF before it goes to the app tier. It returns
// false when r was refused, having answered it: 403 with the request id
// (the page the client sees, the id the log line carries), or the
// client's error when its body could not be read.
func (e *Edge) admit(w http.ResponseWriter, r *http.Request) bool {
	if e.WAF == nil {
		return true
	}
	id := ensureRequestID(r)
	v := e.WAF.Inspect(r, id)
	switch {
	case !v.Block:
		return true
	case v.Err != nil:
		e.clientFailed(w, r, v.Status, v.Err)
	default:
		refused(w, r, v.Status, id)
	}
	return false
}

// ensureRequestID returns r's X-Request-Id, after giving r a new one when
// it has none the app would take (internal/app's saneRequestID: at most 64
// of [A-Za-z0-9._:-]), so that the firewall's log line, the refusal page
// and the app's log of a forwarded request name one id.
func ensureRequestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 || strings.IndexFunc(id, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':')
	}) >= 0 {
		id = newRequestID()
		r.Header.Set("X-Request-Id", id)
	}
	return id
}

// refused answers a request the firewall refused: JSON under /api/ (as the
// API's own errors: {"error":{"code","message"}}), else a page. Never
// stored, and it says nothing of which rule matched: that is in the log,
// under the id the client is shown.
func refused(w http.ResponseWriter, r *http.Request, status int, id string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-Id", id)
	h.Set("Cache-Status", "agora; detail=waf")
	const msg = "This request was refused by the store's firewall. If you think this is a mistake, contact the store and quote the request id."
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		body := map[string]any{"error": map[string]string{"code": "forbidden", "message": msg, "request_id": id}}
		if r.Method != http.MethodHead {
			_ = json.NewEncoder(w).Encode(body)
		}
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = refusedPage.Execute(w, struct {
			Status int
			Text   string
			ID     string
		}{status, http.StatusText(status), id})
	}
}

var refusedPage = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Request refused</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>Request refused</h1>
<p>The store's firewall refused this request ({{.Status}} {{.Text}}). If you think this is a mistake, please contact the store and quote this request id:</p>
<p><code>{{.ID}}</code></p>
<p><a href="/">Back to the store</a></p>
</body></html>
`))

// wafStatus is the firewall's part of Status, nil when it is off.
func (e *Edge) wafStatus() *WAFStatus {
	if e.WAF == nil {
		return nil
	}
	return &WAFStatus{Mode: e.WAF.Mode().String(), Counts: e.WAF.Counts()}
}

// WAFStatus is the firewall's mode and counters in GET /_agora/status.
type WAFStatus struct {
	Mode string `json:"mode"`
	waf.Counts
}
