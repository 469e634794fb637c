package app

import (
	"net/http"
	"strings"

	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
)

// Read replicas (issue 15). Anonymous page views and searches, most of the
// reads behind the edge, may be served from a PostgreSQL streaming
// replica (store.FromReplica); everything else reads the primary: writes
// and transactions always do, and so does any request of a signed-in
// shopper, a cart holder or staff (a session cookie or an Authorization
// header), so whoever just saved something reads it back.
//
// A replica lags. A page the edge fetches after it applied a purge must
// not be built from a replica that has not replayed the purged change, or
// the old page is cached fresh again: the purge log's answers carry the
// primary's WAL position read after their entries (purgeLSNField), the
// edge sends the position of the last answer it applied with every
// fetch, and the store reads from a replica only once it has replayed
// that far (else from the primary).

// purgeLSNField carries, on a request from the edge, the WAL position of
// the last purge log answer the edge applied. The edge sets or removes it
// on every request it forwards; nobody else reaches the app.
const purgeLSNField = "Agora-Purge-LSN"

// replicaReads marks the reads of requests fit for a replica.
func replicaReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if replicaFit(r) {
			var lsn store.LSN
			if v := r.Header.Get(purgeLSNField); v != "" {
				l, err := store.ParseLSN(v)
				if err != nil {
					next.ServeHTTP(w, r) // cannot tell how fresh: the primary
					return
				}
				lsn = l
			}
			r = r.WithContext(store.FromReplica(r.Context(), lsn))
		}
		next.ServeHTTP(w, r)
	})
}

// replicaFit reports whether r only reads what every visitor sees.
func replicaFit(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	for _, prefix := range []string{"/admin", "/api/v1/admin", "/_internal", "/healthz", "/readyz", "/account", "/orders", "/checkout"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	if r.Header.Get("Authorization") != "" {
		return false
	}
	for _, name := range []string{session.CookieName, staff.CookieName} {
		if _, err := r.Cookie(name); err == nil {
			return false
		}
	}
	return true
}
