package app

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/importjob"
)

// MaxURILength is the longest request target (path and query) served. RFC
// 9112 §3 asks servers to support at least 8000 octets; longer targets are
// abuse or broken links and get 414 before any handler parses them.
const MaxURILength = 8 << 10

// Timeouts and sizes of the public http.Server. Every one is set: the
// zero values of net/http mean "forever", which lets slow clients hold
// connections and memory.
const (
	readHeaderTimeout = 10 * time.Second  // slowloris
	readTimeout       = 30 * time.Second  // header and a body of MaxBodyBytes
	writeTimeout      = 60 * time.Second  // the slowest page, and a slow reader
	idleTimeout       = 120 * time.Second // keep-alive between requests
	// maxHeaderBytes admits an 8 KiB request target plus ordinary headers
	// and cookies, so long targets reach the 414 below rather than a 431.
	maxHeaderBytes = 64 << 10
)

// limit refuses request targets longer than MaxURILength (414), bodies
// declared larger than MaxBodyBytes (413), and caps bodies that do not say
// their length, so no handler reads more than MaxBodyBytes.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > MaxURILength {
			refuse(w, r, http.StatusRequestURITooLong,
				"The address is too long: at most "+strconv.Itoa(MaxURILength)+" characters of path and query are accepted.")
			return
		}
		max := s.bodyLimit(r)
		if r.ContentLength > max {
			refuse(w, r, http.StatusRequestEntityTooLarge,
				"The request body is too large: at most "+strconv.FormatInt(max, 10)+" bytes are accepted.")
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

// bodyLimit is the body cap of r: admin POSTs may carry image uploads.
// Their handlers authenticate before reading the body, and net/http closes
// the connection rather than drain a large unread body, so strangers cannot
// make the server read 21 MiB.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == "/admin/imports" {
		// a CSV upload and its multipart envelope (issue 16)
		return max(s.cfg.MaxAdminBodyBytes, importjob.MaxFileBytes+1<<20)
	}
	if r.Method == http.MethodPost &&
		(strings.HasPrefix(r.URL.Path, "/admin/") || strings.HasPrefix(r.URL.Path, "/api/v1/admin/")) {
		return s.cfg.MaxAdminBodyBytes
	}
	return s.cfg.MaxBodyBytes
}

// refuse answers a request the limits turned away: JSON under /api/, plain
// text elsewhere (no page template for a request that may be abuse).
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPI(r) {
		api.WriteJSON(w, status, cachehdr.Private, map[string]map[string]string{
			"error": {"code": "too_large", "message": msg}})
		return
	}
	cachehdr.SetPrivate(w.Header())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Connection", "close") // what follows may be more of the same
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// newHTTPServer returns an http.Server for h with every limit set.
func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
