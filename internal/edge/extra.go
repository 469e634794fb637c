package edge

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"agora/internal/fault"
)

// Extra is a part of the admin listener that a component outside the edge
// owns and the edge only shows: `agora up`'s app pool and its autoscaler
// (internal/scale) set Edge.Scale. The edge calls it on every status
// request and scrape, concurrently.
type Extra struct {
	// Status is the value under "scale" in GET /_agora/status.
	Status func() any
	// HTML is a section of the status page at /_agora/, given the page's
	// CSP nonce for its own style and script. The maker escapes it.
	HTML func(nonce string) template.HTML
	// Metrics, if set, joins GET /metrics.
	Metrics prometheus.Collector
	// Reload, if set, serves POST /_agora/reload (behind the cluster
	// secret): `agora up` replaces its app instances with the binary on
	// disk. It returns when the reload is over; its answer is the JSON
	// body, its error a fault error whose message the operator reads.
	Reload func(ctx context.Context) (any, error)
}

// serveReload runs Edge.Scale.Reload for the operator (agora reload).
func (e *Edge) serveReload(w http.ResponseWriter, r *http.Request, secret string) {
	if !authorized(w, r, secret, "reloads") {
		return
	}
	if e.Scale == nil || e.Scale.Reload == nil {
		adminError(w, http.StatusNotFound, "nothing to reload here: only agora up runs app instances it can replace")
		return
	}
	// A reload takes as long as its instances take to start and drain:
	// longer than the admin server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	ans, err := e.Scale.Reload(r.Context())
	if err != nil {
		adminError(w, fault.Status(fault.CodeOf(err)), fault.MessageOf(err))
		return
	}
	adminJSON(w, http.StatusOK, ans)
}

// scaleStatus is the value of Status.Scale: nil without Edge.Scale.
func (e *Edge) scaleStatus() any {
	if e.Scale == nil || e.Scale.Status == nil {
		return nil
	}
	return e.Scale.Status()
}

// scaleHTML is the status page's extra section, if any.
func (e *Edge) scaleHTML(nonce string) template.HTML {
	if e.Scale == nil || e.Scale.HTML == nil {
		return ""
	}
	return e.Scale.HTML(nonce)
}

// scaleMetrics are the collectors Edge.Scale adds to /metrics.
func (e *Edge) scaleMetrics() []prometheus.Collector {
	if e.Scale == nil || e.Scale.Metrics == nil {
		return nil
	}
	return []prometheus.Collector{e.Scale.Metrics}
}
