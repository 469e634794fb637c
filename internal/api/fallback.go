package api

import (
	"net/http"
	"slices"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/fault"
)

// probeMethods are the methods tried when building an Allow header.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// fallback answers /api/ requests that no route took. The catch-all pattern
// matches every method, so http.ServeMux never sends its own plain-text 405;
// this does the same check (would another method match?) and answers JSON.
func (h *Handler) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := Allowed(mux, r, CatchAll); allow != "" {
			w.Header().Set("Allow", allow)
			writeErrorStatus(w, http.StatusMethodNotAllowed, cachehdr.Private, "method_not_allowed",
				"This address does not accept "+r.Method+"; use "+allow+".", "")
			return
		}
		WriteError(w, r, h.Log, fault.New(fault.NotFound, "There is no API endpoint at this address."))
	})
}

// Allowed lists, as an Allow header value, the methods for which mux has a
// route to r's path other than the catch-all patterns in ignore; "" if none.
// Only error paths call it, so it may allocate.
func Allowed(mux *http.ServeMux, r *http.Request, ignore ...string) string {
	var allow []string
	for _, m := range probeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		_, pattern := mux.Handler(probe)
		if pattern == "" || slices.Contains(ignore, pattern) {
			continue
		}
		allow = append(allow, m)
	}
	return strings.Join(allow, ", ")
}
