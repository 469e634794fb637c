package app

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"agora/internal/certstore"
)

// The ACME storage endpoints (issue 12): edges keep certmagic's blobs and
// locks in the shared database through these (internal/edge/acme's
// Remote), so N edges order one certificate. Like the purge log they exist
// only with a cluster secret, answer only to it, and are never proxied
// from an edge's public listener (everything under /_internal/ is not).
// Lock leases are timed by this tier's clock, one clock for every edge.
const (
	acmeBlobPath   = "/_internal/acme/blob"   // GET, PUT, DELETE ?key=
	acmeStatPath   = "/_internal/acme/stat"   // GET ?key=
	acmeListPath   = "/_internal/acme/list"   // GET ?dir=&recursive=1
	acmeLockPath   = "/_internal/acme/lock"   // POST {"name","owner","ttl_ms"}: {"held":bool}
	acmeRenewPath  = "/_internal/acme/renew"  // POST {"name","owner","ttl_ms"}: {"held":bool}
	acmeUnlockPath = "/_internal/acme/unlock" // POST {"name","owner"}
	// acmeNoSuchKey is the error of a 404 for a key that holds nothing.
	acmeNoSuchKey = "no such key"
	// maxLockTTL bounds a lease, so a typo cannot hold a lock for a day.
	maxLockTTL = 10 * time.Minute
)

func (s *Server) acmeRoutes() {
	s.mux.HandleFunc("GET "+acmeBlobPath, s.acmeGet)
	s.mux.HandleFunc("PUT "+acmeBlobPath, s.acmePut)
	s.mux.HandleFunc("DELETE "+acmeBlobPath, s.acmeDelete)
	s.mux.HandleFunc("GET "+acmeStatPath, s.acmeStat)
	s.mux.HandleFunc("GET "+acmeListPath, s.acmeList)
	s.mux.HandleFunc("POST "+acmeLockPath, s.acmeLock)
	s.mux.HandleFunc("POST "+acmeRenewPath, s.acmeLock)
	s.mux.HandleFunc("POST "+acmeUnlockPath, s.acmeLock)
}

func (s *Server) acmeGet(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	key := r.URL.Query().Get("key")
	v, mod, err := certstore.Get(r.Context(), s.db, key)
	if err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Length", strconv.Itoa(len(v)))
	w.Write(v)
}

func (s *Server) acmePut(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	v, err := io.ReadAll(http.MaxBytesReader(w, r.Body, certstore.MaxValueBytes))
	if err != nil {
		purgesError(w, http.StatusRequestEntityTooLarge, "the value is too large or was cut off")
		return
	}
	if err := certstore.Put(r.Context(), s.db, r.URL.Query().Get("key"), v, s.purges.now()); err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) acmeDelete(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	key := r.URL.Query().Get("key")
	if err := certstore.CheckKey(key); err != nil {
		purgesError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := certstore.Delete(r.Context(), s.db, key); err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) acmeStat(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	info, err := certstore.Stat(r.Context(), s.db, r.URL.Query().Get("key"))
	if err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	acmeJSON(w, info)
}

func (s *Server) acmeList(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	q := r.URL.Query()
	keys, err := certstore.List(r.Context(), s.db, q.Get("dir"), q.Get("recursive") == "1")
	if err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	acmeJSON(w, map[string][]string{"keys": keys})
}

// acmeLockRequest is the body of the lock, renew and unlock requests.
type acmeLockRequest struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	TTLms int64  `json:"ttl_ms"`
}

// acmeLock answers lock, renew and unlock: {"held":true} when the caller
// holds the lock after a lock or renew (false: another edge does), 204
// after an unlock. A lock never waits here; the edge polls.
func (s *Server) acmeLock(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) {
		return
	}
	var req acmeLockRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Name == "" || req.Owner == "" {
		purgesError(w, http.StatusBadRequest, `the body must be one JSON object such as {"name":"issue_cert_shop.example","owner":"…","ttl_ms":60000}`)
		return
	}
	ttl := time.Duration(req.TTLms) * time.Millisecond
	if r.URL.Path != acmeUnlockPath && (ttl < time.Second || ttl > maxLockTTL) {
		purgesError(w, http.StatusBadRequest, "ttl_ms must be between 1000 and 600000")
		return
	}
	ctx, now := r.Context(), s.purges.now()
	var held bool
	var err error
	switch r.URL.Path {
	case acmeLockPath:
		held, err = certstore.TryLock(ctx, s.db, req.Name, req.Owner, now, ttl)
	case acmeRenewPath:
		held, err = certstore.Renew(ctx, s.db, req.Name, req.Owner, now, ttl)
	default:
		if err = certstore.Unlock(ctx, s.db, req.Name, req.Owner); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if err != nil {
		s.acmeFailed(w, r, err)
		return
	}
	acmeJSON(w, map[string]bool{"held": held})
}

// acmeFailed answers err: 404 for a missing key, 400 for a refused one, 500
// (logged) when the database failed.
func (s *Server) acmeFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, certstore.ErrNotFound):
		// Not "not found": that is the answer of an app without a
		// cluster secret, where the storage does not exist at all.
		purgesError(w, http.StatusNotFound, acmeNoSuchKey)
	case r.Context().Err() != nil:
	case isKeyError(err):
		purgesError(w, http.StatusBadRequest, err.Error())
	default:
		s.log.ErrorContext(r.Context(), "acme storage failed", "path", r.URL.Path, "err", err)
		purgesError(w, http.StatusInternalServerError, "the certificate storage cannot be reached")
	}
}

// isKeyError says err is certstore refusing a key or value, not a database
// failure.
func isKeyError(err error) bool {
	var ke *certstore.KeyError
	return errors.As(err, &ke)
}

func acmeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
