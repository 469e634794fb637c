package edge

import (
	"agora/internal/edge/ratelimit"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves the edge's Prometheus series (GET /metrics on the
// admin listener). They live in a registry of the handler's own, not the
// global one, so several edges in one process (tests, `agora up`) do not
// clash. Every series reads the counters the edge keeps anyway, at scrape
// time: the hit path pays nothing for metrics.
func (e *Edge) metricsHandler() http.Handler {
	e.init() // the series below read e.Pool, which init sets: scrapes run concurrently
	reg := prometheus.NewRegistry()
	counter := func(name, help string, v *atomic.Uint64, labels prometheus.Labels) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(v.Load()) })
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	const requestsHelp = "GET and HEAD requests, by cache result: hit (served from the store, stale-while-revalidate included) or miss (forwarded to the app tier)."
	reg.MustRegister(
		counter("agora_edge_requests_total", requestsHelp, &e.hits, prometheus.Labels{"cache": "hit"}),
		counter("agora_edge_requests_total", requestsHelp, &e.misses, prometheus.Labels{"cache": "miss"}),
		counter("agora_edge_coalesced_total", "Requests that waited for another request's origin fetch instead of making their own.", &e.coalesced, nil),
		counter("agora_edge_stale_served_total", "Stale responses served (stale-while-revalidate, stale-if-error).", &e.staleServed, nil),
		counter("agora_edge_revalidations_total", "304 answers from the app tier that freshened a stored response.", &e.revalidations, nil),
		counter("agora_edge_compressions_total", "Bodies compressed, one per coding per stored response.", &e.compressions, nil),
		counter("agora_edge_refreshes_skipped_total", "Background refreshes (stale-while-revalidate, soft purges) not started because --max-background-fetches were under way: the stale page was served, a later request refreshes it.", &e.refreshesSkipped, nil),
		gauge("agora_edge_refreshes_in_flight", "Background refreshes under way (at most --max-background-fetches).", func() float64 { return float64(len(e.bgSlots)) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "agora_edge_purged_in_flight_total",
			Help: "Origin responses kept out of the cache, or stored already stale, because a purge applied during their fetch covered them.",
		}, func() float64 { return float64(e.Store.Stats().PurgedInFlight) }),
		gauge("agora_edge_cache_entries", "Responses held in the cache (an estimate).", func() float64 { return float64(e.Store.Stats().Entries) }),
		gauge("agora_edge_cache_bytes", "Bytes held in the cache, as weighed for the --cache-size bound.", func() float64 { return float64(e.Store.Stats().Bytes) }),
		gauge("agora_edge_cache_max_bytes", "The cache's bound (--cache-size).", func() float64 { return float64(e.Store.Stats().MaxBytes) }),
		gauge("agora_edge_backends", "App-tier backends in the pool (draining ones left out).", func() float64 { return float64(len(e.Pool.Members())) }),
		counter("agora_edge_retries_total", "Requests sent again to another backend after a failed attempt (origin.go).", &e.front.retries, nil),
		poolCollector{e},
		purgeSeqCollector{e},
		connCollector{e},
		counter("agora_edge_client_errors_total", "Requests failed through the client's fault, by kind: bad_request (400/408/413: no Host, an odd target, a malformed or cut-short body) or gone (logged as 499: it left before its answer). Not origin failures.", &e.front.badRequests, prometheus.Labels{"kind": "bad_request"}),
		counter("agora_edge_client_errors_total", "Requests failed through the client's fault, by kind: bad_request (400/408/413: no Host, an odd target, a malformed or cut-short body) or gone (logged as 499: it left before its answer). Not origin failures.", &e.front.clientGone, prometheus.Labels{"kind": "gone"}),
		counter("agora_edge_origin_failures_total", "Requests answered 502, 503 or 504 because no backend answered usably (connection refused, timeout, reset, none available).", &e.front.originFailures, nil),
		wafCollector{e},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	reg.MustRegister(e.scaleMetrics()...)
	if l := e.RateLimit; l != nil {
		for _, c := range ratelimit.Classes {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "agora_edge_rate_limited_total", ConstLabels: prometheus.Labels{"class": c.String()},
				Help: "Requests refused with 429 because their client was over its limit for the route class (--rate-limit-*).",
			}, func() float64 { return float64(l.Refused(c)) }))
		}
		reg.MustRegister(gauge("agora_edge_rate_limit_clients", "Rate limit buckets held (clients × classes), bounded by the limiter.", func() float64 { return float64(l.Clients()) }))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

var purgeSeqDesc = prometheus.NewDesc("agora_edge_purge_seq_applied",
	"Last purge log seq this edge applied (or started from); compare across edges to see convergence.", nil, nil)

// purgeSeqCollector reports agora_edge_purge_seq_applied only while the edge
// follows a purge log: the Follower is set after the admin handler is built,
// and an edge without one has no position to report (0 would look like a
// lagging edge).
type purgeSeqCollector struct{ e *Edge }

var _ prometheus.Collector = purgeSeqCollector{}

func (c purgeSeqCollector) Describe(ch chan<- *prometheus.Desc) { ch <- purgeSeqDesc }

func (c purgeSeqCollector) Collect(ch chan<- prometheus.Metric) {
	if f := c.e.Follower; f != nil {
		ch <- prometheus.MustNewConstMetric(purgeSeqDesc, prometheus.GaugeValue, float64(f.Applied()))
	}
}

var (
	backendStateDesc = prometheus.NewDesc("agora_edge_backend_state",
		"1 for the state each backend is in (healthy, slow-starting, joining, unhealthy, ejected, draining).", []string{"backend", "state"}, nil)
	backendInFlightDesc = prometheus.NewDesc("agora_edge_backend_in_flight",
		"Requests in flight to each backend.", []string{"backend"}, nil)
	backendRequestsDesc = prometheus.NewDesc("agora_edge_backend_requests_total",
		"Requests sent to each backend, retries included.", []string{"backend"}, nil)
	backendFailuresDesc = prometheus.NewDesc("agora_edge_backend_failures_total",
		"Requests to each backend that failed (connect failure, reset, 5xx, timeout).", []string{"backend"}, nil)
	backendEjectionsDesc = prometheus.NewDesc("agora_edge_backend_ejections_total",
		"Times each backend was ejected for consecutive failures.", []string{"backend"}, nil)
	backendRetriesDesc = prometheus.NewDesc("agora_edge_backend_retries_total",
		"Requests sent to each backend as retries of one that failed elsewhere.", []string{"backend"}, nil)
	backendLatencyDesc = prometheus.NewDesc("agora_edge_backend_latency_seconds",
		"Each backend's latency to the response head over the last minute, by quantile.", []string{"backend", "quantile"}, nil)
	poolPanicDesc = prometheus.NewDesc("agora_edge_pool_panic",
		"1 while no backend is available and requests go to the last-known set (panic mode).", nil, nil)
)

// poolCollector reports the pool's per-backend figures at scrape time.
type poolCollector struct{ e *Edge }

var _ prometheus.Collector = poolCollector{}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{backendStateDesc, backendInFlightDesc, backendRequestsDesc, backendFailuresDesc, backendEjectionsDesc, backendRetriesDesc, backendLatencyDesc, poolPanicDesc} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st, _ := c.e.poolStatus() // not Status: the cache's and the follower's figures are other collectors'
	panicking := 0.0
	if st.Panic {
		panicking = 1
	}
	ch <- prometheus.MustNewConstMetric(poolPanicDesc, prometheus.GaugeValue, panicking)
	for _, b := range st.Backends {
		ch <- prometheus.MustNewConstMetric(backendStateDesc, prometheus.GaugeValue, 1, b.URL, b.State.String())
		ch <- prometheus.MustNewConstMetric(backendInFlightDesc, prometheus.GaugeValue, float64(b.InFlight), b.URL)
		ch <- prometheus.MustNewConstMetric(backendRequestsDesc, prometheus.CounterValue, float64(b.Requests), b.URL)
		ch <- prometheus.MustNewConstMetric(backendFailuresDesc, prometheus.CounterValue, float64(b.Failures), b.URL)
		ch <- prometheus.MustNewConstMetric(backendEjectionsDesc, prometheus.CounterValue, float64(b.Ejections), b.URL)
		ch <- prometheus.MustNewConstMetric(backendRetriesDesc, prometheus.CounterValue, float64(b.Retries), b.URL)
		for q, v := range map[string]float64{"0.5": b.LatencyP50ms, "0.95": b.LatencyP95ms, "0.99": b.LatencyP99ms} {
			ch <- prometheus.MustNewConstMetric(backendLatencyDesc, prometheus.GaugeValue, v/1000, b.URL, q)
		}
	}
}

var wafRequestsDesc = prometheus.NewDesc("agora_edge_waf_requests_total",
	"Requests the web application firewall handled, by result: inspected (all it ran through the rules: only requests bound for the app tier, never cache hits), blocked (refused, block mode), detected (matched and forwarded, detect mode), error (a body that could not be read).", []string{"result"}, nil)

// wafCollector reports the firewall's counters while it is on.
type wafCollector struct{ e *Edge }

var _ prometheus.Collector = wafCollector{}

func (c wafCollector) Describe(ch chan<- *prometheus.Desc) { ch <- wafRequestsDesc }

func (c wafCollector) Collect(ch chan<- prometheus.Metric) {
	if c.e.WAF == nil {
		return
	}
	n := c.e.WAF.Counts()
	for result, v := range map[string]uint64{"inspected": n.Inspected, "blocked": n.Blocked, "detected": n.Detected, "error": n.Errors} {
		ch <- prometheus.MustNewConstMetric(wafRequestsDesc, prometheus.CounterValue, float64(v), result)
	}
}
