package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"agora/internal/scale/autoscale"
)

// The plot is hand-written SVG over the bench's time: the pool above (size
// kept, instances ready, size desired, and the offered rate on its own
// scale), p95 latency per 5 s below (failures as red marks). Phases are
// shaded so the ramp, the quiet and the burst read at a glance.
const (
	width   = 960
	left    = 72
	right   = 60
	poolTop = 50
	poolH   = 220
	latTop  = poolTop + poolH + 60
	latH    = 160
	height  = latTop + latH + 70
	bucketS = 5.0 // seconds per p95 point
)

func (b *bench) plot(w io.Writer, runs []*stepRun, decisions []autoscale.Decision) {
	end := runs[len(runs)-1].End.Sub(b.t0).Seconds()
	x := func(t float64) float64 { return left + (width-left-right)*t/end }
	maxSize, maxRate := 1, 1
	for _, s := range b.samples {
		maxSize = max(maxSize, s.Size, s.Desired, s.Ready)
	}
	for _, r := range runs {
		maxRate = max(maxRate, r.Rate)
	}
	maxSize++
	yPool := func(n float64) float64 { return poolTop + poolH - poolH*n/float64(maxSize) }
	yRate := func(r float64) float64 { return poolTop + poolH - poolH*r/float64(maxRate) }

	// p95 per bucket across every run.
	n := int(math.Ceil(end / bucketS))
	buckets := make([][]rec, n+1)
	for _, r := range runs {
		for _, q := range r.recs {
			if i := int(q.At / bucketS); i >= 0 && i <= n {
				buckets[i] = append(buckets[i], q)
			}
		}
	}
	// A log scale: the test latency (100 ms) and a collapse (10 s, the
	// load tool's timeout) both stay readable.
	minLat, maxLat := 50.0, 1000.0
	p95s := make([]float64, len(buckets))
	for i, bk := range buckets {
		p95s[i] = percentile(bk, .95)
		maxLat = max(maxLat, p95s[i])
	}
	maxLat = niceCeil(maxLat)
	yLat := func(ms float64) float64 {
		ms = max(ms, minLat)
		return latTop + latH - latH*math.Log(ms/minLat)/math.Log(maxLat/minLat)
	}

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(w, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(w, `<text x="%d" y="20" font-size="15">agora up: pool size and p95 through the ramp, the quiet and the burst (--test-latency 100ms)</text>`+"\n", left)

	// Phase shading and step labels.
	for i, r := range runs {
		x0, x1 := x(r.Start.Sub(b.t0).Seconds()), x(r.End.Sub(b.t0).Seconds())
		fill := map[string]string{"ramp": "#eef4fb", "quiet": "#f3f3f3", "burst": "#fbeeee"}[r.Phase]
		for _, top := range []float64{poolTop, latTop} {
			h := float64(poolH)
			if top == latTop {
				h = latH
			}
			fmt.Fprintf(w, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", x0, top, x1-x0, h, fill)
		}
		if i == 0 || runs[i-1].Phase != r.Phase || r.Phase != "quiet" {
			fmt.Fprintf(w, `<text x="%.1f" y="%d" font-size="10" fill="#555">%s %d/s</text>`+"\n", x0+2, poolTop-4-12*(i%2), r.Phase, r.Rate)
		}
		// The offered rate, on the right-hand scale.
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-width="3" opacity="0.5"/>`+"\n",
			x0, yRate(float64(r.Rate)), x1, yRate(float64(r.Rate)))
	}

	// Axes and grid.
	for v := 0; v <= maxSize; v++ {
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%d</text>`+"\n",
			left, yPool(float64(v)), width-right, yPool(float64(v)), left-6, yPool(float64(v))+4, v)
	}
	for _, f := range []float64{0, .25, .5, .75, 1} {
		fmt.Fprintf(w, `<text x="%d" y="%.1f" fill="#777">%.0f</text>`+"\n", width-right+6, yRate(f*float64(maxRate))+4, f*float64(maxRate))
	}
	fmt.Fprintf(w, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">app instances</text>`+"\n", poolTop+poolH/2, poolTop+poolH/2)
	fmt.Fprintf(w, `<text x="%d" y="%d" transform="rotate(90 %d %d)" text-anchor="middle" fill="#777">offered req/s</text>`+"\n",
		width-12, poolTop+poolH/2, width-12, poolTop+poolH/2)
	for _, v := range []float64{50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000} {
		if v > maxLat {
			break
		}
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, yLat(v), width-right, yLat(v), left-6, yLat(v)+4, msLabel(v))
	}
	fmt.Fprintf(w, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">p95 per 5 s (log)</text>`+"\n", latTop+latH/2, latTop+latH/2)
	for t := 0.0; t <= end; t += 60 {
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%.0f s</text>`+"\n", x(t), latTop+latH+18, t)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ccc"/>`+"\n", x(t), latTop+latH, x(t), latTop+latH+5)
	}

	// The pool: desired (dashed), kept, ready.
	line := func(val func(sample) int, style string) {
		var p strings.Builder
		for i, s := range b.samples {
			if i > 0 { // a step: hold the last value until this sample
				fmt.Fprintf(&p, "%.1f,%.1f ", x(s.At), yPool(float64(val(b.samples[i-1]))))
			}
			fmt.Fprintf(&p, "%.1f,%.1f ", x(s.At), yPool(float64(val(s))))
		}
		fmt.Fprintf(w, `<polyline fill="none" %s points="%s"/>`+"\n", style, strings.TrimSpace(p.String()))
	}
	line(func(s sample) int { return s.Desired }, `stroke="#e8a33d" stroke-width="2" stroke-dasharray="6 3"`)
	line(func(s sample) int { return s.Size }, `stroke="#9ab" stroke-width="2"`)
	line(func(s sample) int { return s.Ready }, `stroke="#1f5fa8" stroke-width="2.5"`)
	for _, d := range decisions {
		if d.Mode == autoscale.Panic && d.To > d.From {
			t := d.At.Sub(b.t0).Seconds()
			fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c33" stroke-dasharray="2 2"/>`+"\n", x(t), poolTop, x(t), poolTop+poolH)
		}
	}

	// p95 and failures.
	// One polyline per stretch of load: no line across a pause.
	var p strings.Builder
	flush := func() {
		if p.Len() > 0 {
			fmt.Fprintf(w, `<polyline fill="none" stroke="#2a8a4a" stroke-width="2" points="%s"/>`+"\n", strings.TrimSpace(p.String()))
			p.Reset()
		}
	}
	for i, v := range p95s {
		if len(buckets[i]) == 0 {
			flush()
			continue
		}
		at := 0.0 // the bucket's mean send time: a bucket the load fills only in part is drawn where it has load
		for _, q := range buckets[i] {
			at += q.At
		}
		fmt.Fprintf(&p, "%.1f,%.1f ", x(at/float64(len(buckets[i]))), yLat(v))
	}
	flush()
	for i, bk := range buckets {
		for _, q := range bk {
			if q.Failed {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%d" r="3" fill="#c33"/>`+"\n", x((float64(i)+.5)*bucketS), latTop+latH-4)
				break
			}
		}
	}

	// Legend.
	lx, ly := left, latTop+latH+45
	for _, l := range []struct{ style, text string }{
		{`stroke="#1f5fa8" stroke-width="2.5"`, "ready (in the edge's pool)"},
		{`stroke="#9ab" stroke-width="2"`, "kept (ready or starting)"},
		{`stroke="#e8a33d" stroke-width="2" stroke-dasharray="6 3"`, "desired"},
		{`stroke="#999" stroke-width="3" opacity="0.5"`, "offered req/s (right scale)"},
		{`stroke="#c33" stroke-dasharray="2 2"`, "panic decision"},
	} {
		fmt.Fprintf(w, `<line x1="%d" y1="%d" x2="%d" y2="%d" %s/><text x="%d" y="%d">%s</text>`+"\n", lx, ly, lx+24, ly, l.style, lx+30, ly+4, l.text)
		lx += 30 + 7*len(l.text) + 16
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" fill="#2a8a4a">p95 of every request sent in each 5 s (red dot: a failure in that 5 s)</text>`+"\n", left+10, latTop-8)
	fmt.Fprintln(w, "</svg>")
}

func msLabel(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%g s", ms/1000)
	}
	return fmt.Sprintf("%g ms", ms)
}

// niceCeil rounds v up to 1, 2 or 5 × a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
