package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/edge/ratelimit"
)

// rateSyncTimeout bounds one exchange of rate limit counts: a sync that
// takes longer than its period is not worth waiting for.
const rateSyncTimeout = 2 * time.Second

// overLimit answers r with 429 when its client is over the limit of r's
// route class (issue 12) and reports whether it did. Only the ordinary
// path asks: a plain hit, answered by ServeFast, costs microseconds and
// counts against no limit (the connection caps bound it).
func (e *Edge) overLimit(w http.ResponseWriter, r *http.Request) bool {
	// A PoP's request was limited there, per shopper; here every shopper
	// behind that PoP would count as one client, the PoP.
	if e.RateLimit == nil || fromPoP(r) {
		return false
	}
	c := ratelimit.Classify(r.Method, r.URL.Path, r.URL.RawQuery)
	if c == ratelimit.Unlimited {
		return false
	}
	client := e.clientOf(r)
	ok, retry := e.RateLimit.Allow(c, client)
	if ok {
		return false
	}
	e.Log.Debug("edge: rate limited", "class", c.String(), "client", client.String(), "retry_after", retry)
	ratelimit.Refuse(w, r, c, retry)
	return true
}

// clientOf is r's client as --trusted-proxies lets the edge tell: the
// peer, or behind a trusted proxy the address its X-Forwarded-For names.
func (e *Edge) clientOf(r *http.Request) netip.Addr {
	peer := clientaddr.PeerAddr(r.RemoteAddr)
	if !e.TrustedProxies.Contains(peer) {
		return peer
	}
	return e.TrustedProxies.Judge(r).Addr // a trusted peer's headers are left as they are
}

// SyncRateLimits is the ratelimit.Limiter's Sync for an Agora app tier:
// the report goes to POST /_internal/ratelimit on the app tier the purge
// log comes from (PurgeOrigin: --purge-origin behind a shield, else a
// backend of the pool; the counts are in the shared database, so any
// will do), with the cluster secret.
func (e *Edge) SyncRateLimits(secret string) func(context.Context, ratelimit.Report) (ratelimit.Totals, error) {
	return func(ctx context.Context, rep ratelimit.Report) (ratelimit.Totals, error) {
		e.init()
		var tot ratelimit.Totals
		body, err := json.Marshal(rep)
		if err != nil {
			return tot, err
		}
		base, err := url.Parse(e.PurgeOrigin())
		if err != nil || base.Host == "" {
			return tot, errors.New("edge: rate limit sync: no app server to report to yet")
		}
		ctx, cancel := context.WithTimeout(ctx, rateSyncTimeout)
		defer cancel()
		u := base.JoinPath("/_internal/ratelimit")
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return tot, err
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := e.Transport.RoundTrip(req)
		if err != nil {
			return tot, fmt.Errorf("edge: rate limit sync with %s: %w", base.Redacted(), err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return tot, fmt.Errorf("edge: rate limit sync: %s answered %s (the same --cluster-secret on edge and app?)", base.Redacted(), res.Status)
		}
		if err := json.NewDecoder(io.LimitReader(res.Body, 8<<20)).Decode(&tot); err != nil {
			return tot, fmt.Errorf("edge: rate limit sync: %s answered no totals: %w", base.Redacted(), err)
		}
		return tot, nil
	}
}
