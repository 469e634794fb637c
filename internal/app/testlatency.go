package app

import (
	"net/http"
	"time"
)

// delay holds every request but the exempt ones (health checks, the purge
// log's long poll: exemptFromLimit) for Config.TestLatency before its
// handler runs, inside the concurrency limit, so the held request keeps its
// slot as one waiting on a slow database would. It is for load tests only
// (issue 11's ramp): with a fixed wait per request an instance's capacity
// is its concurrency, not the CPU of a machine shared with the load tool,
// which is what the autoscaler must be seen to follow. A client that
// leaves ends the wait, and the handler never runs.
func (s *Server) delay(next http.Handler) http.Handler {
	d := s.cfg.TestLatency
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exemptFromLimit(r) {
			next.ServeHTTP(w, r)
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done(): // counted and logged as 499 by observe
		}
	})
}
