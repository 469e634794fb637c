package app

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"agora/internal/store"
)

// metrics are the app tier's Prometheus series, in a registry of their own
// (no global state: two servers in one process, as in tests, do not clash).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	handler  http.Handler // serves reg in the Prometheus text format

	mu        sync.RWMutex // protects counters and observers
	counters  map[requestKey]prometheus.Counter
	observers map[string]prometheus.Observer
}

// requestKey names one child of agora_http_requests_total. Resolved
// children are kept in a map so the hot path is a read-locked lookup, with
// no label hashing or allocation.
type requestKey struct {
	route, method string
	code          int
}

// durationBuckets reach down to a millisecond: most pages are served from
// hot database pages in a few.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics(db *store.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agora_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "agora_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: durationBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "agora_http_in_flight",
			Help: "HTTP requests being served now.",
		}),
		counters:  map[requestKey]prometheus.Counter{},
		observers: map[string]prometheus.Observer{},
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// On PostgreSQL both are the same pool, so the two series agree;
		// dashboards keep one shape for either dialect.
		collectors.NewDBStatsCollector(db.Read, "read"),
		collectors.NewDBStatsCollector(db.Write, "write"),
	)
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "agora_db_busy_retries_total",
		Help: "Times a write transaction's BEGIN found the SQLite file locked by another process for longer than the busy timeout (10 s) and was tried again (always 0 on PostgreSQL).",
	}, func() float64 { return float64(db.BusyRetries()) }))
	if len(db.Replicas()) > 0 {
		m.reg.MustRegister(newReplicaCollector(db))
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return m
}

// registerAdmission exports the concurrency limit (--max-inflight): the
// limit, the requests holding a slot, those queued for one (the signal that
// the instance is at capacity) and those refused. With no limit (a nil)
// every series reads 0.
func (m *metrics) registerAdmission(limit int, a *admission) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	var active, queued, rejected func() float64
	if a == nil {
		active = func() float64 { return 0 }
		queued, rejected = active, active
	} else {
		active = func() float64 { return float64(len(a.slots)) }
		queued = func() float64 { return float64(a.queued.Load()) }
		rejected = func() float64 { return float64(a.rejected.Load()) }
	}
	m.reg.MustRegister(
		gauge("agora_http_max_in_flight", "The concurrency limit (--max-inflight); 0: none.", func() float64 { return float64(limit) }),
		gauge("agora_http_limited_in_flight", "Requests holding a slot of the concurrency limit now (health checks and long polls are not counted).", active),
		gauge("agora_http_queued", "Requests waiting for a slot of the concurrency limit now.", queued),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "agora_http_overload_rejected_total",
			Help: "Requests answered 503 by the concurrency limit: its queue was full or they waited past --queue-timeout.",
		}, rejected),
	)
}

func (m *metrics) observe(route, method string, code int, d time.Duration) {
	method = methodLabel(method)
	key := requestKey{route, method, code}
	m.mu.RLock()
	c, okc := m.counters[key]
	o, oko := m.observers[route]
	m.mu.RUnlock()
	if !okc || !oko {
		c, o = m.resolve(key)
	}
	c.Inc()
	o.Observe(d.Seconds())
}

// resolve creates (once) the children of a label set first seen.
func (m *metrics) resolve(key requestKey) (prometheus.Counter, prometheus.Observer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok {
		c = m.requests.WithLabelValues(key.route, key.method, strconv.Itoa(key.code))
		m.counters[key] = c
	}
	o, ok := m.observers[key.route]
	if !ok {
		o = m.duration.WithLabelValues(key.route)
		m.observers[key.route] = o
	}
	return c, o
}

// methodLabel bounds the method label: clients may send any token.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
