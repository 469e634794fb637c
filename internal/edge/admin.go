package edge

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"agora/internal/edge/purgelog"
)

// Status is what GET /_agora/status reports.
type Status struct {
	Entries     int     `json:"entries"`
	Bytes       uint64  `json:"bytes"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`
	HitRatio    float64 `json:"hit_ratio"`
	Coalesced   uint64  `json:"coalesced"`
	StaleServed uint64  `json:"stale_served"`
	// Revalidated counts 304s from the origin that freshened a stored
	// response; Compressions counts bodies compressed (one per coding per
	// stored object).
	Revalidated  uint64   `json:"revalidated"`
	Compressions uint64   `json:"compressions"`
	PurgeSeq     *int64   `json:"purge_seq,omitempty"`
	Backends     []string `json:"backends"`
}

// PurgeRequest is the body of POST /_agora/purge. URLs are absolute
// (scheme and host select the cached site) and always purged hard.
type PurgeRequest struct {
	Tags []string `json:"tags"`
	URLs []string `json:"urls"`
	All  bool     `json:"all"`
	Soft bool     `json:"soft"`
}

// Status returns a snapshot of the edge's counters.
func (e *Edge) Status() Status {
	e.init()
	st := e.Store.Stats()
	s := Status{
		Entries: st.Entries, Bytes: st.Bytes,
		Hits: e.hits.Load(), Misses: e.misses.Load(),
		Coalesced: e.coalesced.Load(), StaleServed: e.staleServed.Load(),
		Revalidated: e.revalidations.Load(), Compressions: e.compressions.Load(),
	}
	if n := s.Hits + s.Misses; n > 0 {
		s.HitRatio = float64(s.Hits) / float64(n)
	}
	if e.Follower != nil {
		seq := e.Follower.Applied()
		s.PurgeSeq = &seq
	}
	for _, b := range e.Backends {
		s.Backends = append(s.Backends, b.String())
	}
	return s
}

// ApplyPurge applies one purge log entry; it is a purgelog.Follower's Apply.
func (e *Edge) ApplyPurge(p purgelog.Entry) {
	for _, t := range p.Tags {
		e.Store.PurgeTag(t, p.Soft)
	}
}

// AdminHandler serves the admin API, for --admin-listen only. Purges need
// "Authorization: Bearer <secret>"; with an empty secret they are refused.
func (e *Edge) AdminHandler(secret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_agora/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(e.Status())
	})
	mux.HandleFunc("POST /_agora/purge", func(w http.ResponseWriter, r *http.Request) {
		if !bearerOK(r, secret) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="agora-edge"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var req PurgeRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, "bad purge request: "+err.Error(), http.StatusBadRequest)
			return
		}
		n, err := e.purge(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int{"purged": n})
	})
	return mux
}

func bearerOK(r *http.Request, secret string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && secret != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) == 1
}

// purge applies req locally and returns how many entries it touched (for
// URLs and all, an estimate: each URL counts once).
func (e *Edge) purge(req PurgeRequest) (int, error) {
	e.init()
	reqs := make([]*http.Request, 0, len(req.URLs))
	for _, raw := range req.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return 0, &url.Error{Op: "purge", URL: raw, Err: errAbsolute}
		}
		r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u.String(), nil)
		if err != nil {
			return 0, err
		}
		reqs = append(reqs, r)
	}
	if req.All {
		n := e.Store.Stats().Entries
		e.Store.PurgeAll()
		return n, nil
	}
	n := 0
	for _, t := range req.Tags {
		n += e.Store.PurgeTag(t, req.Soft)
	}
	for _, r := range reqs {
		e.invalidate(r)
		n++
	}
	return n, nil
}

var errAbsolute = errors.New("URL must be absolute")
