package app

import (
	"net/http"
)

// responseWriter records what a handler answered (status, bytes) and applies
// the response defaults (headers.go) at the moment the header is committed,
// when the handler can no longer change it. Unwrap lets
// http.ResponseController reach the connection (deadlines, flushing).
type responseWriter struct {
	http.ResponseWriter
	status      int   // 0 until the header is written
	bytes       int64 // body bytes written
	wroteHeader bool
	// idValue backs the X-Request-Id header value, saving an allocation.
	idValue [1]string
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code) // let net/http report the superfluous call
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational answers (103 Early Hints) come before the real one.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	applyDefaults(w.Header(), code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		h := w.Header()
		if _, ok := h["Content-Type"]; !ok && len(p) > 0 {
			// net/http would sniff it later; do it now so the defaults know
			// whether this is an HTML page.
			h.Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush commits the header and sends what is buffered.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusCode is the status the client got: 200 when the handler wrote
// nothing at all (net/http sends an empty 200 then).
func (w *responseWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

var _ http.Flusher = (*responseWriter)(nil)
