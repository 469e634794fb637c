package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"agora/internal/api"
	"agora/internal/fault"
)

// quiet is handed to error writers that would log again what recoverPanics
// has already logged with its stack.
var quiet = slog.New(slog.DiscardHandler)

// recoverPanics turns a handler's panic into a logged 500 (the HTML error
// page, or a JSON error under /api/) instead of a dropped connection. When
// the response had already begun, the status cannot change: the panic is
// re-raised as http.ErrAbortHandler so the client sees a broken response,
// never a truncated one that looks complete.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http's own way to abort a response quietly
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rw, ok := w.(*responseWriter); ok && rw.wroteHeader {
				panic(http.ErrAbortHandler)
			}
			resetHeader(w.Header())
			err := fault.New(fault.Internal, "panic: %v", v)
			if isAPI(r) {
				api.WriteError(w, r, quiet, err)
				return
			}
			s.storefront.ServerError(w, r, err)
		}()
		next.ServeHTTP(w, r)
	})
}

// resetHeader drops what the failed handler had set (a public Cache-Control,
// tags, an ETag), keeping only the request id.
func resetHeader(h http.Header) {
	for k := range h {
		if k != HeaderRequestID {
			delete(h, k)
		}
	}
}
