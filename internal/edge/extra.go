package edge

import (
	"html/template"

	"github.com/prometheus/client_golang/prometheus"
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
