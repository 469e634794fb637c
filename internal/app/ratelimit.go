package app

import (
	"context"
	"encoding/json"
	"net/http"

	"agora/internal/clientusage"
	"agora/internal/edge/ratelimit"
)

// Edges hold their rate limits together through the app tier (issue 12;
// internal/edge/ratelimit, "Reconciling edges"): once a second each posts
// its per-client counts to POST /_internal/ratelimit with the cluster
// secret and gets the other edges' totals back. The numbers live in the
// database (internal/clientusage), since each report reaches one app
// instance of many.
const (
	rateUsagePath = "/_internal/ratelimit"
	// maxRateUsageBody bounds a report: MaxKeys entries of about 60 bytes.
	maxRateUsageBody = 2 << 20
)

func (s *Server) exchangeRateUsage(w http.ResponseWriter, r *http.Request) {
	if !s.purges.admit(w, r) { // the same cluster secret guards both
		return
	}
	var rep ratelimit.Report
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRateUsageBody))
	if err := dec.Decode(&rep); err != nil || rep.Edge == "" {
		purgesError(w, http.StatusBadRequest, `the body must be one JSON report such as {"edge":"a1","since":0,"usage":[{"k":"login 192.0.2.1","n":3,"d":1}]}`)
		return
	}
	tot, err := clientusage.Exchange(r.Context(), s.db, rep, s.purges.now())
	if err != nil {
		if r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "rate limit report not recorded", "edge", rep.Edge, "keys", len(rep.Usage), "err", err)
		}
		purgesError(w, http.StatusInternalServerError, "the rate limit usage cannot be recorded")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(tot)
}

func (s *Server) trimRateUsage(ctx context.Context) (int64, error) {
	return clientusage.Trim(ctx, s.db, s.purges.now())
}
