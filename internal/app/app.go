// Package app assembles Agora's application tier: it routes the storefront,
// the JSON API, media and the health endpoints on one http.ServeMux, wraps
// them in the middleware every response goes through (request ids, limits,
// panic recovery, cross-origin protection, private-by-default caching,
// security headers, access log, metrics) and runs the public and internal
// listeners with a graceful drain. It holds no state between requests: the
// data tier does. Pages and API resources live in their own packages.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"agora/internal/admin"
	"agora/internal/api"
	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/clientaddr"
	"agora/internal/customer"
	"agora/internal/importjob"
	"agora/internal/mail"
	"agora/internal/media"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/storefront"
	"agora/internal/stripepay"
)

// Config is what an operator chooses for one app-tier server.
type Config struct {
	// Listen is the public address, such as ":8080"; port 0 picks a free one
	// (Run reports it).
	Listen string
	// MetricsListen is the internal address of /metrics (Prometheus). ""
	// disables it. Keep it off the public network.
	MetricsListen string
	// PublicURL is the canonical origin for links, such as
	// "https://shop.example". Links in e-mails (password resets, order
	// confirmations) are only ever built on it: without it no reset mail
	// can be sent. Pages derive their canonical links from each request's
	// Host when it is "". It is also trusted as an Origin for
	// cross-origin protection, and when it is https every cookie is Secure.
	PublicURL string
	// DrainDelay is how long, after Run's context ends, /readyz answers 503
	// while requests are still served, so load balancers stop sending new
	// ones. 0: no delay.
	DrainDelay time.Duration
	// ShutdownTimeout bounds how long in-flight requests get to finish after
	// the drain delay. If 0, DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// AccessLog logs one line per request at info level. Server errors (5xx)
	// are logged either way.
	AccessLog bool
	// MaxBodyBytes caps request bodies. If 0, DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// MaxAdminBodyBytes caps bodies of POSTs under /admin/ and
	// /api/v1/admin/, which carry image uploads (issue 4). If 0,
	// DefaultMaxAdminBodyBytes (21 MiB: a 20 MiB image and its multipart
	// envelope).
	MaxAdminBodyBytes int64
	// ClusterSecret is shared by every tier of one store; edges present it
	// as a bearer token to follow the purge log at /_internal/purges. If "",
	// that endpoint answers 404 (no edge follows this app).
	ClusterSecret string
	// MaxInFlight is how many requests this instance handles at once; more
	// wait in a queue (MaxQueue, QueueTimeout) and past it are answered 503
	// with Retry-After (inflight.go). Health checks and the purge log's long
	// poll are not counted. 0: no limit, the default, because the right
	// number depends on the machine, the database and the pages by an order
	// of magnitude, and a limit set too low fails requests the instance
	// could have served; whoever sizes the instance (agora up, a Kubernetes
	// manifest, the operator) sets it.
	MaxInFlight int
	// MaxQueue is how many requests may wait for a slot beyond MaxInFlight.
	// If 0, MaxInFlight (as many waiting as running); negative: none wait.
	MaxQueue int
	// QueueTimeout is the longest a request waits in the queue before it
	// is answered 503. If 0, DefaultQueueTimeout.
	QueueTimeout time.Duration
	// TrustedProxies are the peers whose forwarding headers are believed
	// (X-Forwarded-For for the client's address, X-Forwarded-Proto for
	// its scheme): the edge or load balancer in front. From anyone else
	// those headers are removed before a handler runs. nil trusts no one.
	TrustedProxies *clientaddr.Trusted
	// TestLatency, for load tests only, holds every request (but health
	// checks and the purge log's poll) this long before its handler runs,
	// so that concurrency rather than CPU limits the instance
	// (testlatency.go). 0: none, the only setting for a real store.
	TestLatency time.Duration
}

// Defaults for zero Config fields.
const (
	DefaultShutdownTimeout = 20 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
	// DefaultMaxAdminBodyBytes admits media's largest upload (20 MiB).
	DefaultMaxAdminBodyBytes = 21 << 20
)

// Deps are the app tier's connections to the data tier, opened by the caller
// (who also closes them, after Run returns).
type Deps struct {
	DB      *store.DB
	Catalog *catalog.Catalog
	// Media serves /media/{key}. If nil, media is not served (another
	// origin or a CDN serves it) and links still point at /media/.
	Media *media.Store
	// Log is the process logger. If nil, slog.Default().
	Log *slog.Logger

	// The shopping services (issue 3), shared by the storefront and the
	// API. Each nil service leaves its pages and endpoints out, so a
	// catalog-only server needs none of them.
	Sessions  *session.Manager
	Customers *customer.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	// Mail delivers the email outbox (order confirmations, reset links)
	// from a worker that Run owns. If nil, mail waits in the outbox for an
	// instance that has a sender.
	Mail mail.Sender
	// Stripe is the card payment method (issue 14), also one of
	// Checkout's Providers. If nil, no card payments, no webhook.
	Stripe *stripepay.Stripe
	// Sweep (if set) reconciles and expires unpaid orders from a loop Run
	// owns; one instance at a time works, by a lease.
	Sweep *checkout.Sweep

	// Staff authenticates the admin (issue 4): sessions for /admin pages,
	// API keys for /api/v1/admin/…. If nil, neither is served.
	Staff *staff.Service
}

// Server is one app-tier server. Build it with New; it is safe for
// concurrent use.
type Server struct {
	cfg        Config
	db         *store.DB
	log        *slog.Logger // adds request_id to records logged with a request's context
	mux        *http.ServeMux
	storefront *storefront.Handler
	handler    http.Handler // mux wrapped in the middleware
	// cleanups delete expired rows (sessions, staff sessions, password
	// resets, old login failures); Run calls them every SessionCleanupEvery.
	cleanups []cleanup
	mail     mail.Sender        // the outbox worker's sender; nil: no worker
	sweep    *checkout.Sweep    // unpaid orders; nil: none
	imports  *importjob.Service // the admin's CSV imports; nil: none
	metrics  *metrics
	ids      *requestIDs
	draining atomic.Bool // set when the drain starts; /readyz answers 503
	purges   *purgeLog   // serves /_internal/purges to edges
	// admission is the concurrency limit (Config.MaxInFlight); nil: none.
	admission *admission

	// endDrain, when closed, cuts the drain delay short. Only tests set it,
	// so they need neither sleep nor wait out a realistic delay.
	endDrain chan struct{}
}

// New builds a server from cfg and deps. It loads the storefront's
// templates and assets now, so a broken build fails here, not on a request.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.DB == nil || deps.Catalog == nil {
		return nil, errors.New("app: a database and a catalog are required")
	}
	if cfg.TestLatency < 0 {
		return nil, fmt.Errorf("app: the test latency cannot be negative (got %s)", cfg.TestLatency)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxAdminBodyBytes <= 0 {
		cfg.MaxAdminBodyBytes = DefaultMaxAdminBodyBytes
	}
	linkServices(cfg.PublicURL, deps)
	base := deps.Log
	if base == nil {
		base = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		db:       deps.DB,
		log:      slog.New(requestIDHandler{base.Handler()}),
		mux:      http.NewServeMux(),
		metrics:  newMetrics(deps.DB),
		ids:      newRequestIDs(),
		mail:     deps.Mail,
		sweep:    deps.Sweep,
		cleanups: cleanupsOf(deps),
		purges:   newPurgeLog(deps.DB, cfg.ClusterSecret),
	}
	s.cleanups = append(s.cleanups, cleanup{"purge log", s.purges.trim}, cleanup{"gone edges", s.purges.forgetEdges}, cleanup{"rate usage", s.trimRateUsage})
	queue := cfg.MaxQueue
	if queue == 0 {
		queue = cfg.MaxInFlight
	}
	s.admission = newAdmission(cfg.MaxInFlight, queue, cfg.QueueTimeout)
	s.metrics.registerAdmission(cfg.MaxInFlight, s.admission)
	sf, err := storefront.New(deps.Catalog)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	sf.PublicURL, sf.Log = cfg.PublicURL, s.log
	sf.Sessions, sf.Customers, sf.Carts, sf.Checkout = deps.Sessions, deps.Customers, deps.Carts, deps.Checkout
	sf.Stripe = deps.Stripe
	if deps.Media != nil {
		sf.MediaURL = deps.Media.URL
	}
	// Assets keep their own, uncacheable 404: during a rolling deploy a new
	// page may ask an old instance for a new asset hash, and a cached 404
	// would break styles for everyone until it expired.
	s.storefront = sf
	s.routes(sf, &api.Handler{Catalog: deps.Catalog, MediaURL: sf.MediaURL, Log: s.log,
		Sessions: deps.Sessions, Customers: deps.Customers, Carts: deps.Carts, Checkout: deps.Checkout,
		Staff: deps.Staff, Media: deps.Media, DB: deps.DB, Stripe: deps.Stripe}, deps.Media)

	if deps.Staff != nil && deps.Checkout != nil && deps.Customers != nil {
		// The admin pages (issue 4) need the shop's services and staff
		// logins; the storefront's assets serve its stylesheet.
		ad := &admin.Handler{DB: deps.DB, Catalog: deps.Catalog, Checkout: deps.Checkout, Customers: deps.Customers,
			Staff: deps.Staff, Media: deps.Media, Log: s.log, Assets: sf.Assets,
			MaxUploadBytes: cfg.MaxAdminBodyBytes - 1<<20}
		if deps.DB != nil {
			// CSV imports run on every instance's worker (issue 16).
			s.imports = &importjob.Service{DB: deps.DB, Catalog: deps.Catalog, Log: s.log}
			ad.Imports = s.imports
		}
		if deps.Stripe != nil {
			ad.CardMode = deps.Stripe.Mode()
		}
		ad.Register(s.mux)
	}

	cop, err := s.crossOrigin()
	if err != nil {
		return nil, err
	}
	var routes http.Handler = s.mux
	if deps.DB != nil && len(deps.DB.Replicas()) > 0 {
		routes = replicaReads(routes)
	}
	s.handler = s.middleware(s.purges.nudgeAfterWrites(cop.Handler(routes)))
	return s, nil
}

// linkServices hands the public URL to the services that put links in
// e-mails or set cookies, so every one of them names the same origin and
// none builds a link from a request (issue 9): a Host header is the
// client's to choose. An https public URL makes every cookie Secure.
func linkServices(publicURL string, deps Deps) {
	secure := strings.HasPrefix(strings.ToLower(publicURL), "https://")
	if deps.Customers != nil {
		deps.Customers.PublicURL = publicURL
	}
	if deps.Checkout != nil && deps.Checkout.BaseURL == "" {
		deps.Checkout.BaseURL = publicURL
	}
	if deps.Sessions != nil {
		deps.Sessions.Secure = deps.Sessions.Secure || secure
	}
	if deps.Staff != nil {
		deps.Staff.SecureCookies = deps.Staff.SecureCookies || secure
	}
}

// Handler returns the full public handler: routes and middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler returns the Prometheus handler served on MetricsListen.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }
