// Package edge is the edge tier (DESIGN.md, "Edge tier"): a caching reverse
// proxy in front of the app pool, built on the cache library in
// internal/edge/cache.
package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/edge/balance"
	"agora/internal/edge/cache"
	"agora/internal/edge/discover"
	"agora/internal/edge/h1"
	"agora/internal/edge/purgelog"
	"agora/internal/edge/ratelimit"
	"agora/internal/edge/waf"
)

// Defaults for zero Edge fields.
const (
	DefaultFetchTimeout   = 30 * time.Second
	DefaultMaxWaiters     = 4096
	DefaultWaitTimeout    = 10 * time.Second
	DefaultUncacheableTTL = 30 * time.Second
	// DefaultMaxBuffer bounds the body buffered for storing and sharing;
	// a larger response is streamed to its one client and not stored.
	DefaultMaxBuffer = 8 << 20
	// DefaultMaxBackgroundFetches: a soft purge of a tag on thousands of
	// hot pages must not fire one origin fetch per page at once (issue
	// 10); a few at a time refresh them as shoppers ask for them.
	DefaultMaxBackgroundFetches = 8
)

// Edge is the public handler of the edge tier. Set its fields, then serve;
// the zero values of the optional fields are usable defaults.
type Edge struct {
	// Pool is the app tier the edge balances over (internal/edge/balance).
	// If nil, one is made from Backends, without active health checks.
	Pool *balance.Pool
	// Backends are the app tier's base URLs, a static set; used only when
	// Pool is nil.
	Backends []*url.URL
	// Discovery, when set, keeps Pool's set from DNS; the admin status
	// shows where the backends come from.
	Discovery *discover.Resolver
	// PickKey, if set, gives the key a hashing policy chooses a backend
	// by (the URL, a header); nil gives none.
	PickKey func(*http.Request) string
	// Store holds cached responses. Required.
	Store  *cache.Store
	Policy cache.Policy
	// Now is the clock for freshness; if nil, time.Now.
	Now func() time.Time
	// Log records origin failures; if nil, slog.Default().
	Log *slog.Logger
	// Transport reaches the backends; if nil, the edge's own HTTP/1.1
	// client (h1.Client, a third of net/http's CPU per request) with
	// DialTimeout and ResponseHeaderTimeout, falling back to net/http for
	// what it does not speak (https backends, upgrades); with OriginClient
	// "std", net/http's Transport alone.
	Transport http.RoundTripper
	// OriginClient chooses the default Transport: "" or "h1" for
	// h1.Client, "std" for a clone of http.DefaultTransport (the way back,
	// should the edge's client misbehave with a backend).
	OriginClient string
	// DialTimeout and ResponseHeaderTimeout bound one attempt of the
	// default Transport, so that a dead or hung backend leaves time in
	// FetchTimeout to try another; see DefaultDialTimeout and
	// DefaultResponseHeaderTimeout.
	DialTimeout, ResponseHeaderTimeout time.Duration
	// MaxRetryBody bounds the request body buffered to be sent again on a
	// retry; see DefaultMaxRetryBody.
	MaxRetryBody int64
	// Follower, when set, is reported by the admin status.
	Follower *purgelog.Follower
	// ClusterSecret, when set, lets PoPs that send it use this edge as
	// their shield: they get tags and its applied purge seq (shield.go).
	ClusterSecret string
	// ShieldSecret, when set, says the backends are a shield (another
	// edge), not the app tier: requests carry it, and answers are stored
	// only as shield.go allows. It is the cluster secret.
	ShieldSecret string
	// PurgeLog, when set, is the app tier the purge log is read from and
	// appended to, instead of a backend of the pool (a shield has none).
	PurgeLog *url.URL
	// PurgeFrom, when set and PurgeLog is not, names that app tier as it
	// is now: for a PoP whose backend is a shield in the same process
	// (agora up --shield), where the app tier grows and shrinks.
	PurgeFrom func() string
	// Downstream names the CDN in front of this edge, which then gets the
	// fields it caches and purges by (downstream.go); "" for none.
	Downstream Downstream

	// Heartbeat, when set, reports Follower's position to the app tier;
	// its last answer (the edges of the store and the seq each applied)
	// is in the admin status, and GET /_agora/edges asks it afresh.
	Heartbeat *purgelog.Heartbeat
	// TrustedProxies are the peers whose forwarding fields
	// (X-Forwarded-For, -Proto, -Host) are passed on; from anyone else
	// they are replaced by what the edge saw (front.go). Nil trusts no
	// one: the edge is the front door.
	TrustedProxies *clientaddr.Trusted
	// AllowedHosts, when set, are the host names (without port, any case)
	// the edge answers for; a request for another gets 421 and reaches
	// neither the app nor the cache. Empty: any host.
	AllowedHosts []string
	// RateLimit, when set, limits each client's requests by route class
	// (ratelimit.go); nil limits nothing.
	RateLimit *ratelimit.Limiter
	// Conns, when set, is the limited public listener, whose connections
	// the metrics report.
	Conns *h1.Listener
	// Scale, when set, adds the app pool's section to the admin status
	// page, /_agora/status and /metrics (extra.go). Set it before serving.
	Scale *Extra
	// WAF, when set, inspects every request about to reach the app tier
	// (firewall.go); cache hits never reach it. Nil: no firewall.
	WAF *waf.Firewall

	// FetchTimeout bounds one origin fetch, headers and body.
	FetchTimeout time.Duration
	// MaxWaiters and WaitTimeout bound request coalescing: past them a
	// request is served stale if it can be, else goes to origin itself.
	MaxWaiters  int
	WaitTimeout time.Duration
	// UncacheableTTL is how long a key whose response was not storable is
	// fetched without coalescing, so its requests are not serialized.
	UncacheableTTL time.Duration
	// MaxBuffer bounds the body buffered for storing; see DefaultMaxBuffer.
	MaxBuffer int64
	// MaxBackgroundFetches bounds the background refreshes under way at
	// once (stale-while-revalidate, soft purges); past it the stale page
	// is served and no refresh starts: a later request starts it. If 0,
	// DefaultMaxBackgroundFetches.
	MaxBackgroundFetches int

	initOnce sync.Once
	proxy    *httputil.ReverseProxy
	budget   balance.RetryBudget // bounds retries to a fraction of requests in flight
	bg       sync.WaitGroup      // background refreshes
	// bgSlots holds a token per background refresh under way, of
	// MaxBackgroundFetches (stale.go).
	bgSlots          chan struct{}
	refreshesSkipped atomic.Uint64
	history          history // the status page's plots (history.go)

	mu          sync.Mutex           // protects flights (and each flight's waiters), uncacheable, refreshing
	flights     map[string]*flight   // primary key → the fetch its misses wait on (coalesce.go)
	uncacheable map[string]time.Time // primary key → until when it is fetched without coalescing
	refreshing  map[string]bool      // keys with a background refresh under way (stale.go)

	hits, misses, coalesced, staleServed atomic.Uint64
	purges                               purgeRing // the tail of the purge log applied (shield.go)

	// joined, when set, is called each time a request joins another's
	// flight; tests use it to know every waiter is in place. Nil in
	// production.
	joined                      func()
	revalidations, compressions atomic.Uint64
	front                       frontCounters
}

func (e *Edge) init() {
	e.initOnce.Do(func() {
		if e.Now == nil {
			e.Now = time.Now
		}
		if e.Log == nil {
			e.Log = slog.Default()
		}
		if e.DialTimeout <= 0 {
			e.DialTimeout = DefaultDialTimeout
		}
		if e.ResponseHeaderTimeout <= 0 {
			e.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
		}
		if e.MaxRetryBody <= 0 {
			e.MaxRetryBody = DefaultMaxRetryBody
		}
		if e.Pool == nil {
			e.Pool = balance.New(balance.Config{Log: e.Log})
			e.Pool.Set(e.Backends)
		}
		if e.Transport == nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			d := &net.Dialer{Timeout: e.DialTimeout, KeepAlive: 30 * time.Second}
			t.DialContext = d.DialContext
			t.ResponseHeaderTimeout = e.ResponseHeaderTimeout
			t.IdleConnTimeout = 90 * time.Second
			t.MaxIdleConnsPerHost = 256
			e.Transport = t
			if e.OriginClient != "std" {
				// net/http's Transport spent 42% of the edge's CPU on a
				// pass-through request in goroutine hand-offs (issue 10).
				e.Transport = &h1.Client{
					DialTimeout:           e.DialTimeout,
					ResponseHeaderTimeout: e.ResponseHeaderTimeout,
					IdleTimeout:           90 * time.Second,
					MaxIdlePerHost:        256,
					Fallback:              t,
				}
			}
		}
		if e.FetchTimeout <= 0 {
			e.FetchTimeout = DefaultFetchTimeout
		}
		if e.MaxWaiters <= 0 {
			e.MaxWaiters = DefaultMaxWaiters
		}
		if e.WaitTimeout <= 0 {
			e.WaitTimeout = DefaultWaitTimeout
		}
		if e.UncacheableTTL <= 0 {
			e.UncacheableTTL = DefaultUncacheableTTL
		}
		if e.MaxBuffer <= 0 {
			e.MaxBuffer = DefaultMaxBuffer
		}
		if e.MaxBackgroundFetches <= 0 {
			e.MaxBackgroundFetches = DefaultMaxBackgroundFetches
		}
		e.bgSlots = make(chan struct{}, e.MaxBackgroundFetches)
		e.flights = map[string]*flight{}
		e.uncacheable = map[string]time.Time{}
		e.refreshing = map[string]bool{}
		e.proxy = &httputil.ReverseProxy{
			Rewrite:        e.rewrite,
			Transport:      poolTransport{e},
			ModifyResponse: e.modifyPassThrough,
			ErrorHandler:   e.passThroughFailed,
			// A backend's body failing mid-copy: the origin's fault, in the
			// edge's log rather than the standard logger's.
			ErrorLog: slog.NewLogLogger(e.Log.Handler(), slog.LevelWarn),
		}
	})
}

// Wait blocks until background refreshes have finished; call it after the
// server stopped accepting requests.
func (e *Edge) Wait() { e.bg.Wait() }

// rewrite prepares an outgoing request; roundTrip aims it at a backend of
// the pool, a different one on each attempt. The Host is kept so the app
// builds links for the public name (ServeHTTP refused requests without
// one: never the backend's own address); X-Forwarded-* tell it who asked,
// as far as the edge can tell (setForwarded).
func (e *Edge) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.Host = pr.In.Host
	e.setForwarded(pr.In, pr.Out.Header)
	pr.Out.Header.Del(shieldAuthField) // the secret of one hop only
	if e.ShieldSecret != "" {
		pr.Out.Header.Set(shieldAuthField, e.ShieldSecret)
	}
	// The database position of the purges this edge applied: an app
	// reading a replica reads one at least that fresh. Never a client's.
	pr.Out.Header.Del(purgeLSNField)
	if e.Follower != nil {
		if lsn := e.Follower.LSN(); lsn != "" {
			pr.Out.Header.Set(purgeLSNField, lsn)
		}
	}
	if id := pr.In.Header.Get("X-Request-Id"); id != "" {
		pr.Out.Header.Set("X-Request-Id", id)
	} else {
		pr.Out.Header.Set("X-Request-Id", newRequestID())
	}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// purgeLSNField carries the WAL position of the last purge log answer
// this edge applied, to the app tier (app/replica.go).
const purgeLSNField = "Agora-Purge-LSN"

// ServeHTTP is the public handler.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.init()
	// Internal endpoints (purge log, health) are for the tiers, never the
	// public: the edge does not even forward them.
	if strings.HasPrefix(r.URL.Path, "/_internal/") || r.URL.Path == "/_internal" {
		http.NotFound(w, r)
		return
	}
	r = e.asShield(r)
	if problem := targetProblem(r); problem != "" {
		e.refuseTarget(w, r, http.StatusBadRequest, problem)
		return
	}
	if !e.hostAllowed(r.Host) {
		e.refuseTarget(w, r, http.StatusMisdirectedRequest, "this server does not answer for that host")
		return
	}
	if e.overLimit(w, r) {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		e.serveCacheable(w, e.withClientScheme(withoutConnectionFields(r)))
	default:
		if e.admit(w, r) {
			e.passThrough(w, r)
		}
	}
}

// withoutConnectionFields returns r without the fields its Connection
// header names, which a proxy does not forward (RFC 9110 §7.6.1): the key,
// the Vary selection and the request's directives are then read from what
// the origin sees, so a request cannot have a page made without a field
// (say Accept-Language) stored under the key of a request with it. Most
// requests name none and are returned as they are.
func withoutConnectionFields(r *http.Request) *http.Request {
	for _, v := range r.Header.Values("Connection") {
		for f := range strings.SplitSeq(v, ",") { // no slice: this runs on every request
			if f = strings.TrimSpace(f); f != "" && r.Header.Get(f) != "" {
				g := r.Clone(r.Context())
				removeHopByHop(g.Header)
				return g
			}
		}
	}
	return r
}

// serveCacheable answers a GET or HEAD from the store when it may, else from
// the origin.
func (e *Edge) serveCacheable(w http.ResponseWriter, r *http.Request) {
	// A shared cache never answers nor stores for an authenticated request
	// here (DESIGN.md, "Full-page cache"; stricter than RFC 9111 §3.5).
	if r.Header.Get("Authorization") != "" {
		e.misses.Add(1)
		if e.admit(w, r) {
			e.respond(w, r, e.fetch(r, nil), nil, "bypass", false)
		}
		return
	}
	now := e.Now()
	req := cache.RequestDirectives(r.Header)
	ent, missKind := e.lookup(r)
	if req.OnlyIfCached && (ent == nil || !usableWithoutOrigin(ent, req, now)) {
		// RFC 9111 §5.2.1.7: no stored response to give, and the client
		// forbids going forward.
		e.misses.Add(1)
		h := w.Header()
		h.Set("Cache-Status", "agora; detail=only-if-cached")
		h.Set("Cache-Control", "no-store")
		http.Error(w, "not in the cache, and the request said only-if-cached", http.StatusGatewayTimeout)
		return
	}
	if ent != nil && (req.NoCache || req.NoStore || !acceptable(ent, req, now)) {
		// RFC 9111 §5.2.1: the request's own directives rule the stored
		// response out (no-cache, or older than its max-age, or not fresh
		// for its min-fresh); RFC 9211 calls that fwd=request.
		e.misses.Add(1)
		e.fetchAndServe(w, r, ent, "request")
		return
	}
	if ent != nil {
		switch ent.State(now) {
		case cache.Fresh:
			e.hits.Add(1)
			e.serveEntry(w, r, ent, now, "agora; hit"+ttlParam(ent, now))
			return
		case cache.StaleRevalidate:
			e.serveStaleRevalidate(w, r, ent, now)
			return
		}
		e.misses.Add(1)
		e.fetchAndServe(w, r, ent, "stale")
		return
	}
	e.misses.Add(1)
	e.fetchAndServe(w, r, nil, missKind)
}

// acceptable reports whether the request's max-age and min-fresh
// (RFC 9111 §5.2.1.1, §5.2.1.3) let ent answer it.
func acceptable(ent *cache.Entry, req cache.Directives, now time.Time) bool {
	age := ent.Freshness.Age(ent.StoredAt, now)
	if req.MaxAge != cache.Unset && age > req.MaxAge {
		return false
	}
	if req.MinFresh != cache.Unset && ent.Freshness.Lifetime-age < req.MinFresh {
		return false
	}
	return true
}

// usableWithoutOrigin reports whether ent can answer r without a request
// to the origin: fresh, or within stale-while-revalidate (whose refresh is
// the edge's, not the client's), and acceptable to r's directives.
func usableWithoutOrigin(ent *cache.Entry, req cache.Directives, now time.Time) bool {
	if req.NoCache || req.NoStore || !acceptable(ent, req, now) {
		return false
	}
	st := ent.State(now)
	return st == cache.Fresh || st == cache.StaleRevalidate
}

// lookup finds the stored response for r: the primary key holds either the
// response or, when it varies, a marker whose Vary names the request headers
// that select the variant. On a miss it says which kind, in RFC 9211 §2.2
// terms: no response for the URI, or none for this variant.
func (e *Edge) lookup(r *http.Request) (*cache.Entry, string) {
	ent, ok := e.Store.Get(cache.Key(r, nil))
	if !ok {
		return nil, "uri-miss"
	}
	if !isMarker(ent) {
		return ent, ""
	}
	v, ok := e.Store.Get(cache.Key(r, ent.Vary))
	if !ok {
		return nil, "vary-miss"
	}
	return v, ""
}

// isMarker reports whether ent is a Vary marker rather than a response.
func isMarker(ent *cache.Entry) bool { return ent.Status == 0 }

// passThrough forwards an unsafe method and, when it succeeds, invalidates
// what is stored for its URL (RFC 9111 §4.4). Its body is guarded, so a
// failure reading it is the client's (passThroughFailed), not the origin's.
func (e *Edge) passThrough(w http.ResponseWriter, r *http.Request) {
	in := r.WithContext(r.Context()) // a copy whose body is guarded
	guardBody(in)
	e.proxy.ServeHTTP(w, in.WithContext(context.WithValue(in.Context(), incomingKey{}, in)))
}

type incomingKey struct{}

func (e *Edge) modifyPassThrough(resp *http.Response) error {
	stripTags(resp.Header)
	resp.Header.Set("Cache-Status", "agora; fwd=method")
	in, ok := resp.Request.Context().Value(incomingKey{}).(*http.Request)
	if !ok {
		return nil
	}
	if resp.StatusCode < 400 {
		e.invalidate(in)
	}
	if bodyFailed(in) {
		// The backend answered a body cut short or malformed: its answer
		// (often a 5xx) is about the client's mistake, and says so
		// (passThroughFailed).
		return errClientBody
	}
	return nil
}

// invalidate removes what is stored for the URL of r: the primary entry and
// the variants reachable from it. A variant keyed on other request headers
// than this one's stays, but without its marker it is never looked up.
func (e *Edge) invalidate(r *http.Request) {
	g := r.Clone(context.Background())
	g.Method = http.MethodGet
	primary := cache.Key(g, nil)
	if m, ok := e.Store.Get(primary); ok && isMarker(m) {
		for _, enc := range []string{"br", "gzip", "identity"} {
			g.Header.Set("Accept-Encoding", enc)
			e.Store.PurgeKey(cache.Key(g, m.Vary))
		}
	}
	e.Store.PurgeKey(primary)
}

// stripTags removes the headers meant for this cache only (DESIGN.md,
// "Tags"; RFC 9213 §2.1 for the targeted field).
func stripTags(h http.Header) {
	h.Del("Surrogate-Key")
	h.Del("Surrogate-Control")
	h.Del(shieldField)
}
