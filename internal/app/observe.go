package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"agora/internal/api"
)

// unmatched is the route label of requests no real route served.
const unmatched = "unmatched"

// observe gives each request its id (in the context and the response),
// wraps the writer so the response defaults apply, and afterwards counts
// the request and logs it. The deferred record also runs when a panic
// passes through (recoverPanics re-panics only to abort a response already
// under way).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		id := req.Header.Get(HeaderRequestID)
		if !saneRequestID(id) {
			id = s.ids.next()
		}
		rw.idValue[0] = id
		w.Header()[HeaderRequestID] = rw.idValue[:]
		// The context holds rw (a pointer: no allocation to box it), whose
		// idValue RequestID reads.
		r := req.WithContext(context.WithValue(req.Context(), requestIDKey{}, rw))

		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			route := routeLabel(r.Pattern)
			d := time.Since(start)
			status := answered(r, rw)
			s.metrics.observe(route, r.Method, status, d)
			s.logRequest(r, route, status, rw.bytes, d)
		}()
		next.ServeHTTP(rw, r)
	})
}

// StatusClientClosed is what a request whose client went away is counted
// and logged as (nginx's 499): not the 500 its handler may have written when
// the database call was cancelled under it, nor the empty 200 of a handler
// that gave up; either way nobody read the answer, and no server failed.
const StatusClientClosed = 499

// answered is the status r is counted and logged with.
func answered(r *http.Request, rw *responseWriter) int {
	status := rw.statusCode()
	// net/http cancels the context when the connection closes; it cancels
	// it on return too, but observe runs before that.
	if errors.Is(r.Context().Err(), context.Canceled) && (status >= 500 || !rw.wroteHeader) {
		return StatusClientClosed
	}
	return status
}

// routeLabel bounds the metrics' cardinality: the registered pattern, never
// the raw path; catch-alls and requests refused before routing are one label.
func routeLabel(pattern string) string {
	switch pattern {
	case "", catchAll, api.CatchAll:
		return unmatched
	}
	return pattern
}
