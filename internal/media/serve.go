package media

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"gocloud.dev/gcerrors"

	"agora/internal/cachehdr"
)

// Handler serves GET and HEAD of one media key, streamed from the bucket.
//
// Mount it as mux.Handle("GET /media/{key}", s.Handler()) (the key is taken
// from r.PathValue("key")), or under a prefix with
// http.StripPrefix("/media/", s.Handler()) (the key is then the remaining
// r.URL.Path). Keys that are not well-formed get a 404 without the bucket
// being asked. Found media carry an ETag (the quoted key) and are immutable:
// a key's bytes never change. Range and conditional requests are served by
// http.ServeContent.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		cachehdr.SetPrivate(w.Header())
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key := r.PathValue("key")
	if key == "" {
		key = strings.TrimPrefix(r.URL.Path, "/")
	}
	if !ValidKey(key) {
		notFound(w)
		return
	}
	rd, err := s.bucket.NewReader(r.Context(), key, nil)
	if err != nil {
		s.fail(w, r, key, err)
		return
	}
	defer rd.Close()

	h := w.Header()
	h.Set("Content-Type", contentType(key))
	h.Set("ETag", `"`+key+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	cachehdr.Set(h, cachehdr.Immutable)
	// ServeContent answers If-None-Match with 304 (RFC 9110 §13.1.2), HEAD
	// without a body, and Range; blob.Reader seeks lazily, so finding the
	// size does not reopen the object.
	http.ServeContent(w, r, "", rd.ModTime(), rd)
}

// notFound answers a missing or malformed key; shared caches may keep the
// answer briefly to absorb floods of requests for the same bad URL.
func notFound(w http.ResponseWriter) {
	cachehdr.Set(w.Header(), cachehdr.NotFound)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, "media not found\n")
}

// fail answers a bucket error: 404 when the key is missing; 500 when the
// bucket refuses us (credentials, configuration: retrying will not help);
// otherwise 503, since transport errors, timeouts and a bucket closed at
// shutdown are passing, and edges retry a 503 elsewhere or serve stale.
func (s *Store) fail(w http.ResponseWriter, r *http.Request, key string, err error) {
	code := gcerrors.Code(err)
	if code == gcerrors.NotFound {
		notFound(w)
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody to answer
	}
	status := http.StatusServiceUnavailable
	switch code {
	case gcerrors.PermissionDenied, gcerrors.InvalidArgument, gcerrors.Unimplemented, gcerrors.Internal:
		status = http.StatusInternalServerError
	default:
		w.Header().Set("Retry-After", "5")
	}
	s.logger().Error("media: read failed", "key", key, "status", status, "err", err)
	cachehdr.SetPrivate(w.Header())
	http.Error(w, http.StatusText(status), status)
}
