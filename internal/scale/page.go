package scale

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"agora/internal/scale/autoscale"
)

// Status is the pool and its autoscaler, under "scale" in the edge's
// /_agora/status.
type Status struct {
	Size      int  `json:"size"`    // instances kept, ready or starting
	Ready     int  `json:"ready"`   // in the edge's pool
	Desired   int  `json:"desired"` // the size last decided
	Panicking bool `json:"panicking"`
	// CrashLooping counts the instances in a crash loop: the app fails as
	// it starts (a bad setting, a database it cannot reach).
	CrashLooping int        `json:"crash_looping"`
	Instances    []Instance `json:"instances"`
	// History is the recent ticks, oldest first; Decisions the recent
	// changes of size with their reasons, oldest first.
	History   []Point              `json:"history"`
	Decisions []autoscale.Decision `json:"decisions"`
	// Reload is the last reload (an app upgrade); absent before the first.
	Reload *ReloadStatus `json:"reload,omitempty"`
}

// Status is a snapshot for the status page and /_agora/status.
func (sc *Scaler) Status() Status {
	in := sc.Pool.Instances()
	st := Status{
		Size: sc.Pool.Size(), Ready: sc.Pool.Ready(), Panicking: sc.Auto.Panicking(),
		Instances: in, Decisions: sc.Auto.Decisions(), Reload: sc.Pool.ReloadState(),
	}
	for _, i := range in {
		if i.CrashLoop {
			st.CrashLooping++
		}
	}
	sc.mu.Lock()
	st.Desired, st.History = sc.desired, slices.Clone(sc.points)
	sc.mu.Unlock()
	if st.Desired == 0 {
		st.Desired = sc.Auto.Size()
	}
	return st
}

var (
	poolSizeDesc  = prometheus.NewDesc("agora_up_pool_size", "App instances agora up keeps (ready or starting; draining ones left out).", nil, nil)
	poolReadyDesc = prometheus.NewDesc("agora_up_pool_ready", "App instances in the edge's pool (passed /readyz).", nil, nil)
	desiredDesc   = prometheus.NewDesc("agora_up_desired_size", "The pool size the autoscaler decided last.", nil, nil)
	decisionsDesc = prometheus.NewDesc("agora_up_decisions_total", "Autoscaler decisions that changed the pool size, by direction (up, down).", []string{"direction"}, nil)
	restartsDesc  = prometheus.NewDesc("agora_up_restarts_total", "App instances restarted after a crash.", nil, nil)
	loopingDesc   = prometheus.NewDesc("agora_up_crash_looping", "App instances in a crash loop: alert on it.", nil, nil)
)

// Describe and Collect make the Scaler a prometheus.Collector of the
// agora_up_* series, read at scrape time.
func (sc *Scaler) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolSizeDesc, poolReadyDesc, desiredDesc, decisionsDesc, restartsDesc, loopingDesc} {
		ch <- d
	}
}

func (sc *Scaler) Collect(ch chan<- prometheus.Metric) {
	st := sc.Status()
	restarts := 0
	for _, i := range st.Instances {
		restarts += i.Restarts
	}
	sc.mu.Lock()
	ups, downs := sc.ups, sc.downs
	sc.mu.Unlock()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	gauge(poolSizeDesc, st.Size)
	gauge(poolReadyDesc, st.Ready)
	gauge(desiredDesc, st.Desired)
	gauge(loopingDesc, st.CrashLooping)
	ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(restarts))
	ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(ups), "up")
	ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(downs), "down")
}

var _ prometheus.Collector = (*Scaler)(nil)

// sectionHTML is the status page's section on the pool: rendered on the
// server, then redrawn by its own script from /_agora/status.
//
//go:embed page.html
var sectionHTML string

var section = template.Must(template.New("scale").Funcs(template.FuncMap{
	"points": plotPoints,
}).Parse(sectionHTML))

// plotH is the plot's viewBox height; its width is one unit per kept tick.
const plotH = 100

// plotPoints gives a polyline's points for the values of the ticks kept,
// right-aligned in a viewBox of width n, scaled so top is the top.
func plotPoints(pts []Point, n int, top int, field string) string {
	var b strings.Builder
	off := n - len(pts)
	for i, p := range pts {
		v := p.Size
		if field == "desired" {
			v = p.Desired
		}
		fmt.Fprintf(&b, "%d,%.1f ", off+i, plotH-plotH*float64(v)/float64(max(top, 1)))
	}
	return strings.TrimSpace(b.String())
}

// HTML is the status page's section on the pool; nonce is the page's CSP
// nonce, for the section's style and script.
func (sc *Scaler) HTML(nonce string) template.HTML {
	st := sc.Status()
	top := 1
	for _, p := range st.History {
		top = max(top, p.Size, p.Desired)
	}
	recent := slices.Clone(st.Decisions)
	slices.Reverse(recent)
	n := sc.History
	if n <= 0 {
		n = DefaultHistory
	}
	var buf bytes.Buffer
	err := section.Execute(&buf, map[string]any{
		"S": st, "Nonce": nonce, "Top": top, "N": n - 1,
		"Recent": recent[:min(len(recent), 10)],
	})
	if err != nil {
		return template.HTML("<p>the pool's section failed: " + template.HTMLEscapeString(err.Error()) + "</p>")
	}
	return template.HTML(buf.String()) // html/template escaped what it holds
}
