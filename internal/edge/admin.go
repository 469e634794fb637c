package edge

import (
	"agora/internal/edge/ratelimit"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strconv"
	"strings"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/edge/balance"
	"agora/internal/edge/discover"
	"agora/internal/edge/purgelog"
	"agora/internal/redact"
)

// Status is what GET /_agora/status reports.
type Status struct {
	Entries     int     `json:"entries"`
	Bytes       uint64  `json:"bytes"`
	MaxBytes    uint64  `json:"max_bytes"`
	Hits        uint64  `json:"hits"`
	Misses      uint64  `json:"misses"`
	HitRatio    float64 `json:"hit_ratio"`
	Coalesced   uint64  `json:"coalesced"`
	StaleServed uint64  `json:"stale_served"`
	// Revalidated counts 304s from the origin that freshened a stored
	// response; Compressions counts bodies compressed (one per coding per
	// stored object).
	Revalidated  uint64 `json:"revalidated"`
	Compressions uint64 `json:"compressions"`
	// PurgedInFlight counts origin responses that a purge applied during
	// their fetch kept out of the cache (or let in only stale).
	PurgedInFlight uint64 `json:"purged_in_flight"`
	// RefreshesInFlight are background refreshes (stale-while-revalidate,
	// soft purges) under way, at most Edge.MaxBackgroundFetches;
	// RefreshesSkipped counts those not started because that many were:
	// the stale page was served, and a later request refreshes it.
	RefreshesInFlight int    `json:"refreshes_in_flight"`
	RefreshesSkipped  uint64 `json:"refreshes_skipped"`
	PurgeSeq          *int64 `json:"purge_seq,omitempty"`
	// Network is the edges following the same purge log and the seq each
	// applied, as the app tier answered this edge's last heartbeat
	// (issue 13); nil until it answered one.
	Network  *purgelog.Network `json:"network,omitempty"`
	Backends []string          `json:"backends"`
	// Pool is each backend's state and figures (internal/edge/balance);
	// Retries, the retries sent to another backend and the retry budget.
	Pool    balance.Status       `json:"pool"`
	Retries uint64               `json:"retries"`
	Budget  balance.BudgetStatus `json:"retry_budget"`
	// OriginFailures are requests answered 502, 503 or 504 because no
	// backend answered usably.
	OriginFailures uint64 `json:"origin_failures"`
	// History is each backend's last minutes, as the status page plots
	// them; empty unless the edge records it (RecordHistory).
	History History `json:"history"`
	// Discovery is where the backends come from when DNS names them:
	// each name's last answer, when it came, the last error.
	Discovery *discover.Status `json:"discovery,omitempty"`
	// RateLimits are the per-client limits' rules, buckets, refusals by
	// class and syncs with the other edges, when the edge limits.
	RateLimits *ratelimit.Stats `json:"rate_limits,omitempty"`
	// Scale is the app pool of `agora up` and its autoscaler, when the
	// edge runs under it (Edge.Scale, extra.go).
	Scale any `json:"scale,omitempty"`
	// WAF is the firewall's mode and counters, when it is on
	// (firewall.go).
	WAF *WAFStatus `json:"waf,omitempty"`
}

// PurgeRequest is the body of POST /_agora/purge. URLs are absolute
// (scheme and host select the cached site) and always purged hard; so is
// All, which wins over the rest.
type PurgeRequest struct {
	Tags []string `json:"tags"`
	URLs []string `json:"urls"`
	All  bool     `json:"all"`
	Soft bool     `json:"soft"`
}

// Reserved purge tags. The purge log holds tags only (DESIGN.md "Purge
// log"), so an operator's URL and whole-cache purges travel through it as
// tags under the "agora:" prefix, which the app never gives a page (its
// tags read like product-42) and an operator may not post as a tag:
//
//	agora:all        drop every stored response (hard, whatever soft says)
//	agora:url:<URL>  remove what is stored for that absolute URL and the
//	                 variants reachable from it (hard, whatever soft says)
//
// An edge that predates them reads them as tags no page carries: harmless.
const (
	reservedTagPrefix = "agora:"
	allTag            = reservedTagPrefix + "all"
	urlTagPrefix      = reservedTagPrefix + "url:"
)

// Bounds of one purge request; the app tier enforces the same
// (internal/app/purges.go).
const (
	maxPurgeItems = 256 // tags plus URLs
	maxPurgeBody  = 1 << 20
	// purgeAppendTimeout bounds the request that appends to the log.
	purgeAppendTimeout = 10 * time.Second
	// purgeApplyWait bounds how long a purge's answer waits for this
	// edge's follower to apply the new entry; past it the edge applies the
	// entry itself (and the follower again later: harmless).
	purgeApplyWait = 5 * time.Second
)

// Status returns a snapshot of the edge's counters.
func (e *Edge) Status() Status {
	e.init()
	st := e.Store.Stats()
	s := Status{
		Entries: st.Entries, Bytes: st.Bytes, MaxBytes: st.MaxBytes,
		Hits: e.hits.Load(), Misses: e.misses.Load(),
		Coalesced: e.coalesced.Load(), StaleServed: e.staleServed.Load(),
		Revalidated: e.revalidations.Load(), Compressions: e.compressions.Load(),
		PurgedInFlight:    st.PurgedInFlight,
		RefreshesInFlight: len(e.bgSlots), RefreshesSkipped: e.refreshesSkipped.Load(),
	}
	if n := s.Hits + s.Misses; n > 0 {
		s.HitRatio = float64(s.Hits) / float64(n)
	}
	if e.Follower != nil {
		seq := e.Follower.Applied()
		s.PurgeSeq = &seq
	}
	if e.Heartbeat != nil {
		s.Network = e.Heartbeat.Last()
	}
	s.Pool, s.Backends = e.poolStatus()
	s.Retries, s.Budget, s.OriginFailures = e.front.retries.Load(), e.budget.Status(), e.front.originFailures.Load()
	s.History = e.History()
	if e.Discovery != nil {
		d := e.Discovery.Status()
		s.Discovery = &d
	}
	if e.RateLimit != nil {
		rl := e.RateLimit.Stats()
		s.RateLimits = &rl
	}
	s.Scale = e.scaleStatus()
	s.WAF = e.wafStatus()
	return s
}

// poolStatus is the pool's status with its backends' URLs redacted, and
// the redacted URLs of its members (draining backends left out).
func (e *Edge) poolStatus() (balance.Status, []string) {
	st := e.Pool.Status()
	members := []string{}
	redacted := map[string]string{}
	for _, b := range e.Pool.Members() {
		redacted[b.URL.String()] = b.URL.Redacted()
	}
	for i, b := range st.Backends {
		u, ok := redacted[b.URL]
		if !ok {
			u = redact.URL(b.URL) // draining: gone from the members
		}
		st.Backends[i].URL = u
		if ok {
			members = append(members, u)
		}
	}
	return st, members
}

// ApplyPurge applies one purge log entry; it is a purgelog.Follower's Apply.
func (e *Edge) ApplyPurge(p purgelog.Entry) {
	pos := e.appliedSeq()
	e.applyTags(p.Tags, p.Soft)
	e.purges.record(p, pos) // after: a shield's seq must not run ahead of its store
}

// applyTags purges tags, reserved ones included, and returns how many
// stored responses that touched (a URL counts once).
func (e *Edge) applyTags(tags []string, soft bool) int {
	e.init()
	n := 0
	for _, t := range tags {
		switch {
		case t == allTag && soft:
			n += e.Store.Stats().Entries
			e.Store.SoftPurgeAll()
		case t == allTag:
			n += e.Store.Stats().Entries
			e.Store.PurgeAll()
		case strings.HasPrefix(t, urlTagPrefix):
			r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, strings.TrimPrefix(t, urlTagPrefix), nil)
			if err != nil {
				e.Log.Warn("edge: purge names a bad URL", "tag", t, "err", err)
				continue
			}
			e.invalidate(r)
			n++
		default:
			n += e.Store.PurgeTag(t, soft)
		}
	}
	return n
}

// AdminHandler serves the admin listener (--admin-listen only): the status
// page at /_agora/ (/ redirects there), GET /_agora/status, GET /metrics,
// /debug/pprof/, POST /_agora/purge, POST /_agora/drain and /undrain
// (drain.go), and POST /_agora/reload when Scale offers it (extra.go). The POSTs need "Authorization: Bearer <secret>"; with an
// empty secret they are refused.
func (e *Edge) AdminHandler(secret string) http.Handler {
	e.init() // its handlers read e.Pool concurrently with the first request
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_agora/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		adminJSON(w, http.StatusOK, e.Status())
	})
	mux.HandleFunc("GET /_agora/{$}", e.serveStatusPage)
	mux.HandleFunc("GET /_agora/edges", e.serveNetwork)
	mux.Handle("GET /{$}", http.RedirectHandler("/_agora/", http.StatusFound))
	mux.Handle("GET /metrics", e.metricsHandler())
	// Profiles for the operator on call, as on the app's internal listener:
	// "go tool pprof http://127.0.0.1:8081/debug/pprof/profile?seconds=10".
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /_agora/purge", func(w http.ResponseWriter, r *http.Request) {
		e.servePurge(w, r, secret)
	})
	mux.HandleFunc("POST /_agora/drain", func(w http.ResponseWriter, r *http.Request) {
		e.serveDrain(w, r, secret, true)
	})
	mux.HandleFunc("POST /_agora/undrain", func(w http.ResponseWriter, r *http.Request) {
		e.serveDrain(w, r, secret, false)
	})
	mux.HandleFunc("POST /_agora/reload", func(w http.ResponseWriter, r *http.Request) {
		e.serveReload(w, r, secret) // extra.go: agora up's app upgrade
	})
	return mux
}

// servePurge sends a purge through the purge log, so every edge applies
// it (DESIGN.md "Purge log"), and answers {"seq":N} once this edge has
// applied it too. When the log cannot take it (the app tier is down, or
// is not an Agora app), the purge is applied here only and the answer,
// a 502, says so.
func (e *Edge) servePurge(w http.ResponseWriter, r *http.Request, secret string) {
	e.init()
	if !authorized(w, r, secret, "purges") {
		return
	}
	var req PurgeRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPurgeBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		msg := `the body must be one JSON object such as {"tags":["product-42"],"urls":[],"all":false,"soft":true}`
		if err != nil {
			msg += ": " + err.Error()
		}
		adminError(w, http.StatusBadRequest, msg)
		return
	}
	tags, err := req.logTags()
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(e.Pool.Members()) == 0 {
		adminError(w, http.StatusServiceUnavailable, "no app tier to append the purge to: start the edge with --backends")
		return
	}
	seq, err := e.appendPurge(r.Context(), secret, tags, req.Soft)
	if err != nil {
		n := e.applyTags(tags, req.Soft)
		e.Log.Warn("edge: purge applied on this edge only", "purged", n, "err", err)
		adminJSON(w, http.StatusBadGateway, map[string]any{
			"error":  err.Error() + "; the purge was applied on this edge only",
			"purged": n,
		})
		return
	}
	e.awaitPurge(r.Context(), seq, tags, req.Soft)
	adminJSON(w, http.StatusOK, map[string]int64{"seq": seq})
}

// logTags checks req and returns the tags of its purge log entry, URLs and
// all as reserved tags. Its errors are messages for the operator.
func (req PurgeRequest) logTags() ([]string, error) {
	if req.All {
		return []string{allTag}, nil
	}
	n := len(req.Tags) + len(req.URLs)
	switch {
	case n == 0:
		return nil, errors.New(`nothing to purge: give "tags", "urls" or "all":true`)
	case n > maxPurgeItems:
		return nil, fmt.Errorf("%d tags and URLs: at most %d per purge, send several", n, maxPurgeItems)
	}
	tags := make([]string, 0, n)
	for _, t := range req.Tags {
		if strings.HasPrefix(t, reservedTagPrefix) {
			return nil, fmt.Errorf("tag %q: the prefix %q is reserved; purge URLs with \"urls\", everything with \"all\"", t, reservedTagPrefix)
		}
		if err := cachehdr.CheckTag(t); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	for _, raw := range req.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("URL %q must be absolute, such as https://shop.example/products/tea", raw)
		}
		u.Fragment, u.RawFragment = "", "" // never sent, never part of a key
		t := urlTagPrefix + u.String()
		if err := cachehdr.CheckTag(t); err != nil {
			return nil, fmt.Errorf("URL %q: %w", raw, err)
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// appendPurge posts tags to the purge log through a backend of the pool
// (POST /_internal/purges on the app tier; the log is in the shared
// database, so any will do) and returns the entry's seq. A backend that
// cannot be reached is passed over for another: a dead first backend must
// not silence purges (issue 10).
func (e *Edge) appendPurge(ctx context.Context, secret string, tags []string, soft bool) (int64, error) {
	body, err := json.Marshal(struct {
		Tags []string `json:"tags"`
		Soft bool     `json:"soft"`
	}{tags, soft})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, purgeAppendTimeout)
	defer cancel()
	if e.PurgeLog != nil {
		seq, err, _ := e.appendPurgeTo(ctx, e.PurgeLog, secret, body)
		return seq, err
	}
	var tried []*balance.Backend
	var errs []error
	for {
		c, err := e.Pool.Pick("", tried...)
		if err != nil {
			if len(errs) == 0 {
				return 0, err
			}
			return 0, errors.Join(errs...)
		}
		tried = append(tried, c.Backend)
		seq, err, reached := e.appendPurgeTo(ctx, c.Backend.URL, secret, body)
		if reached || ctx.Err() != nil {
			return seq, err
		}
		errs = append(errs, err)
	}
}

// appendPurgeTo posts one purge log entry to backend; reached is false when
// the request got no answer, and another backend may be tried.
func (e *Edge) appendPurgeTo(ctx context.Context, backend *url.URL, secret string, body []byte) (seq int64, err error, reached bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, backend.JoinPath("/_internal/purges").String(), bytes.NewReader(body))
	if err != nil {
		return 0, err, true
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := e.Transport.RoundTrip(req)
	if err != nil {
		return 0, fmt.Errorf("edge: the purge log at %s is unreachable: %w", backend.Redacted(), err), false
	}
	defer res.Body.Close()
	var ans struct {
		Seq   *int64 `json:"seq"`
		Error string `json:"error"`
	}
	decErr := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&ans)
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return 0, fmt.Errorf("edge: %s refused the cluster secret: give edge and app the same --cluster-secret", backend.Redacted()), true
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed:
		return 0, fmt.Errorf("edge: %s has no purge log (%s): is it an Agora app tier started with --cluster-secret?", backend.Redacted(), res.Status), true
	case res.StatusCode/100 != 2:
		return 0, fmt.Errorf("edge: %s answered %s: %s", backend.Redacted(), res.Status, ans.Error), true
	case decErr != nil || ans.Seq == nil:
		return 0, fmt.Errorf("edge: %s answered no seq: is it an Agora app tier?", backend.Redacted()), true
	}
	return *ans.Seq, nil, true
}

// PurgeOrigin is the base URL the purge log follower asks next: a backend
// the pool would send a request to, so a dead one is passed over once
// the pool knows (purgelog.Follower.OriginFunc).
func (e *Edge) PurgeOrigin() string {
	e.init()
	if e.PurgeLog != nil {
		return e.PurgeLog.String()
	}
	if e.PurgeFrom != nil {
		return e.PurgeFrom()
	}
	c, err := e.Pool.Pick("")
	if err != nil {
		return ""
	}
	return c.Backend.URL.String()
}

// awaitPurge returns once this edge has applied the log up to seq: its
// follower applies the entry like any other, so nothing is applied twice.
// An edge without a follower applies tags itself, at once; so does one
// whose follower lags more than purgeApplyWait (the operator asked for
// this edge's cache to change now).
func (e *Edge) awaitPurge(ctx context.Context, seq int64, tags []string, soft bool) {
	f := e.Follower
	if f == nil {
		e.applyTags(tags, soft)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, purgeApplyWait)
	defer cancel()
	if f.WaitApplied(ctx, seq) != nil {
		e.Log.Warn("edge: the purge log follower lags; applying the purge directly", "seq", seq, "applied", f.Applied())
		e.applyTags(tags, soft)
	}
}

// serveNetwork answers GET /_agora/edges[?seq=N]: the app tier's view,
// asked now, of the edges following the purge log and whether each live
// one has applied N (the head by default). agora purge --wait polls it.
func (e *Edge) serveNetwork(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if e.Heartbeat == nil {
		adminError(w, http.StatusServiceUnavailable, "this edge follows no purge log: start it with --cluster-secret")
		return
	}
	seq := int64(-1)
	if v := r.URL.Query().Get("seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			adminError(w, http.StatusBadRequest, "seq must be a purge log sequence number")
			return
		}
		seq = n
	}
	n, err := e.Heartbeat.Network(r.Context(), seq)
	if err != nil {
		adminError(w, http.StatusBadGateway, "the app tier did not say which edges applied it: "+err.Error())
		return
	}
	adminJSON(w, http.StatusOK, n)
}

func bearerOK(r *http.Request, secret string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && secret != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) == 1
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// adminError answers {"error": msg}, as the app's internal endpoints do.
func adminError(w http.ResponseWriter, status int, msg string) {
	adminJSON(w, status, map[string]string{"error": msg})
}
