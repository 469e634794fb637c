package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/media"
	"agora/internal/storefront"
)

// readyTimeout bounds /readyz's database ping: a health checker should learn
// "not ready" quickly rather than time out itself.
const readyTimeout = time.Second

// catchAll answers every request no other pattern takes.
const catchAll = "/"

func (s *Server) routes(sf *storefront.Handler, ah *api.Handler, m *media.Store) {
	sf.Register(s.mux)
	ah.Register(s.mux)
	s.mux.HandleFunc("POST "+rateUsagePath, s.exchangeRateUsage) // edges' rate limits (ratelimit.go)
	if m != nil {
		s.mux.Handle("GET /media/{key}", m.Handler())
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET "+purgesPath, s.purges.serve)
	s.mux.HandleFunc("POST "+purgesPath, s.appendPurge)
	s.acmeRoutes()
	s.mux.HandleFunc("GET "+edgesPath, s.purges.network)
	s.mux.HandleFunc("POST "+edgesPath, s.purges.heartbeat)
	s.mux.HandleFunc(catchAll, s.fallback)
}

// healthz says the process is alive and serving; nothing else, so a slow
// database never gets a healthy process restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	plain(w, http.StatusOK, "ok")
}

// readyz says whether this instance should get traffic: not while draining,
// and not while the database is unreachable.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		plain(w, http.StatusServiceUnavailable, "draining")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		if r.Context().Err() != nil {
			return // the checker hung up: it learned nothing, and nothing failed
		}
		s.log.WarnContext(r.Context(), "not ready: database unreachable", "err", err)
		plain(w, http.StatusServiceUnavailable, "database unreachable")
		return
	}
	plain(w, http.StatusOK, "ok")
}

// fallback answers what no route took: 405 with Allow when the path exists
// for other methods (ServeMux would, but the catch-all hides that from it),
// else the storefront's 404 page. /api/ has its own JSON catch-all.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	if allow := api.Allowed(s.mux, r, catchAll); allow != "" {
		w.Header().Set("Allow", allow)
		plain(w, http.StatusMethodNotAllowed, "method not allowed: use "+allow)
		return
	}
	s.storefront.NotFound(w, r)
}

// plain writes a short private text answer.
func plain(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	cachehdr.SetPrivate(h)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, api.CatchAll) }
