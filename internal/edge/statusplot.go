package edge

import (
	"fmt"
	"strconv"
	"strings"

	"agora/internal/edge/balance"
)

// backendView is one backend on the status page: its status and its plots.
type backendView struct {
	balance.BackendStatus
	Plots []plot
}

// plot is one inline SVG chart: lines over a shared scale, newest sample
// at the right edge, drawn in a viewBox of historyLen-1 by 100.
type plot struct {
	Caption string
	Lines   []line
}

type line struct {
	Class  string // for the stylesheet: a second line gets its own colour
	Points string // the polyline's points attribute
}

// backendViews pairs each backend of the status with its history.
func backendViews(st Status) []backendView {
	byURL := make(map[string]BackendHistory, len(st.History.Backends))
	for _, h := range st.History.Backends {
		byURL[h.URL] = h
	}
	out := make([]backendView, 0, len(st.Pool.Backends))
	for _, b := range st.Pool.Backends {
		h := byURL[b.URL]
		out = append(out, backendView{BackendStatus: b, Plots: []plot{
			newPlot("Requests/s", h.RequestsPerSecond),
			newPlot("In flight", h.InFlight),
			// The pool keeps percentiles over a minute: each sample is the
			// minute before it.
			newPlot("Latency p50 (blue) / p99 (red), ms", h.LatencyP50ms, h.LatencyP99ms),
		}})
	}
	return out
}

// newPlot scales series to their common maximum (at least 1), which the
// caption states.
func newPlot(caption string, series ...[]float64) plot {
	top := 1.0
	for _, s := range series {
		for _, v := range s {
			top = max(top, v)
		}
	}
	p := plot{Caption: fmt.Sprintf("%s (max %s)", caption, strconv.FormatFloat(top, 'f', -1, 64))}
	for i, s := range series {
		p.Lines = append(p.Lines, line{Class: "l" + strconv.Itoa(i), Points: points(s, top)})
	}
	return p
}

// points are s's samples as SVG polyline points, right-aligned.
func points(s []float64, top float64) string {
	var b strings.Builder
	off := historyLen - len(s)
	for i, v := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d,%.1f", off+i, 100-100*v/top)
	}
	return b.String()
}
