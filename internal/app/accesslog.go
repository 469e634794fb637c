package app

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// loggedPath is the path to log: the route pattern instead of the path for
// routes that carry a secret in the URL (password-reset tokens), so access
// logs never hold a usable link.
func loggedPath(r *http.Request, route string) string {
	if strings.Contains(route, "{token}") {
		if _, pattern, ok := strings.Cut(route, " "); ok {
			return pattern
		}
		return route
	}
	return r.URL.Path
}

// logRequest writes the access-log line of a request: at info level when
// Config.AccessLog is set; server errors (5xx) at error level always, so an
// outage shows in the log even with access logging off. The handler that
// failed logs the cause, with the same request_id. A client that went away
// (StatusClientClosed) is logged at debug: it is nobody's failure.
func (s *Server) logRequest(r *http.Request, route string, status int, bytes int64, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case status == StatusClientClosed:
		level = slog.LevelDebug
	case status >= 500:
		level = slog.LevelError
	case !s.cfg.AccessLog:
		return
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method),
		slog.String("path", loggedPath(r, route)),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("bytes", bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
	)
}
