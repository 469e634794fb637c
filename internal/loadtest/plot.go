package loadtest

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// The plot is hand-written SVG: two panels over the run's time, latency
// (p50, p99 and max per bucket, log scale) above, requests and failures per
// second below. Buckets, not points, keep the file small at any rate.
const (
	plotWidth  = 960
	plotLeft   = 70 // room for the axis labels
	plotRight  = 20
	latTop     = 40
	latHeight  = 260
	rateTop    = latTop + latHeight + 50
	rateHeight = 160
	plotHeight = rateTop + rateHeight + 50
	maxBuckets = 200
)

// bucketWidths are the widths a plot may use, the smallest that gives at
// most maxBuckets buckets being chosen.
var bucketWidths = []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}

type bucket struct {
	latencies      []time.Duration
	sent, failures int
}

// WritePlot draws the run's latency and failures over time.
func WritePlot(w io.Writer, res *Results) error {
	var end time.Duration
	for _, r := range res.Records {
		end = max(end, r.at()+r.Latency)
	}
	width := bucketWidths[len(bucketWidths)-1]
	for _, bw := range bucketWidths {
		if int(end/bw)+1 <= maxBuckets {
			width = bw
			break
		}
	}
	buckets := make([]bucket, int(end/width)+1)
	for _, r := range res.Records {
		b := &buckets[int(r.at()/width)]
		if r.Sent >= 0 {
			b.sent++
			b.latencies = append(b.latencies, r.Latency)
		}
		if r.Outcome == Failed {
			b.failures++
		}
	}
	bw := bufio.NewWriter(w)
	p := plotter{w: bw, n: len(buckets), width: width}
	p.header(res)
	p.latency(buckets)
	p.rates(buckets)
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

type plotter struct {
	w     io.Writer
	n     int           // buckets
	width time.Duration // of a bucket
}

// x is the left edge of bucket i.
func (p plotter) x(i int) float64 {
	return plotLeft + float64(i)*float64(plotWidth-plotLeft-plotRight)/float64(p.n)
}

func (p plotter) header(res *Results) {
	target := ""
	if res.Config.Target != nil {
		target = res.Config.Target.Redacted()
	}
	fmt.Fprintf(p.w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotWidth, plotHeight, plotWidth, plotHeight)
	fmt.Fprintf(p.w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(p.w, `<text x="%d" y="20" font-size="14">agora loadtest %s: %d/s for %s (buckets of %s)</text>`+"\n",
		plotLeft, escape(target), res.Config.Rate, res.Config.Duration, p.width)
	// the time axis, under both panels
	step := max(1, p.n/10)
	for i := 0; i <= p.n; i += step {
		t := time.Duration(i) * p.width
		for _, base := range []int{latTop + latHeight, rateTop + rateHeight} {
			fmt.Fprintf(p.w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%gs</text>`+"\n", p.x(i), base+16, t.Seconds())
		}
	}
}

// latency draws p50, p99 and max per bucket on a log scale in milliseconds.
func (p plotter) latency(buckets []bucket) {
	lo, hi := math.Inf(1), math.Inf(-1)
	series := [3][]float64{}
	for i := range series {
		series[i] = make([]float64, len(buckets))
	}
	for i, b := range buckets {
		if len(b.latencies) == 0 {
			for s := range series {
				series[s][i] = math.NaN()
			}
			continue
		}
		p50, _, p99, mx := percentiles(b.latencies)
		for s, d := range []time.Duration{p50, p99, mx} {
			v := math.Max(float64(d)/float64(time.Millisecond), 0.01)
			series[s][i] = v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	decLo, decHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if decHi == decLo {
		decHi++
	}
	y := func(v float64) float64 {
		return latTop + latHeight - (math.Log10(v)-decLo)/(decHi-decLo)*latHeight
	}
	p.frame(latTop, latHeight, "latency (ms, log)")
	for d := decLo; d <= decHi; d++ {
		v := math.Pow(10, d)
		fmt.Fprintf(p.w, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end" fill="#555">%g</text>`+"\n",
			plotLeft, plotWidth-plotRight, y(v), y(v), plotLeft-6, y(v)+4, v)
	}
	colors := [3]string{"#1f77b4", "#ff7f0e", "#999999"}
	names := [3]string{"p50", "p99", "max"}
	for s := range series {
		var pts []string
		for i, v := range series[s] {
			if !math.IsNaN(v) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(i)+(p.x(1)-p.x(0))/2, y(v)))
			}
		}
		fmt.Fprintf(p.w, `<polyline class="%s" fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", names[s], colors[s], strings.Join(pts, " "))
		fmt.Fprintf(p.w, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", plotWidth-plotRight-150+s*50, latTop-6, colors[s], names[s])
	}
}

// rates draws requests sent and failed per second, as bars per bucket.
func (p plotter) rates(buckets []bucket) {
	perSec := func(n int) float64 { return float64(n) / p.width.Seconds() }
	top := 1.0
	for _, b := range buckets {
		top = math.Max(top, perSec(b.sent))
	}
	y := func(v float64) float64 { return rateTop + rateHeight - v/top*rateHeight }
	p.frame(rateTop, rateHeight, "requests/s: sent (grey), failed (red)")
	fmt.Fprintf(p.w, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%.0f</text>`+"\n", plotLeft-6, y(top)+4, top)
	fmt.Fprintf(p.w, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">0</text>`+"\n", plotLeft-6, y(0)+4)
	barW := p.x(1) - p.x(0)
	for i, b := range buckets {
		for _, bar := range []struct {
			class, color string
			n            int
		}{{"sent", "#cccccc", b.sent}, {"failed", "#d62728", b.failures}} {
			if bar.n == 0 {
				continue
			}
			fmt.Fprintf(p.w, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%gs: %d %s</title></rect>`+"\n",
				bar.class, p.x(i), y(perSec(bar.n)), barW, perSec(bar.n)/top*rateHeight, bar.color, (time.Duration(i) * p.width).Seconds(), bar.n, bar.class)
		}
	}
}

// frame draws a panel's box and its title.
func (p plotter) frame(top, height int, title string) {
	fmt.Fprintf(p.w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", plotLeft, top, plotWidth-plotLeft-plotRight, height)
	fmt.Fprintf(p.w, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", plotLeft, top-6, escape(title))
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // never fails on a strings.Builder
	return b.String()
}
