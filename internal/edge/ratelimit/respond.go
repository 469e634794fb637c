package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Refuse answers a request over its limit: 429 with Retry-After (RFC 6585
// §4) in whole seconds, never stored by a cache, and a short body saying
// why: JSON in the API's error shape for /api/, plain text elsewhere.
func Refuse(w http.ResponseWriter, r *http.Request, c Class, retryAfter time.Duration) {
	secs := max(1, int(retryAfter/time.Second))
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Cache-Control", "no-store")
	msg := "too many " + c.String() + " requests from your address; try again in " + strconv.Itoa(secs) + " s"
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"code":"rate_limited","message":"` + msg + `"}}` + "\n"))
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte(msg + "\n"))
}
