package edge

import (
	"context"
	"math"
	"sync"
	"time"
)

// The status page plots each backend's last minutes from samples the edge
// takes itself (RecordHistory), so the plots are there as soon as the page
// opens, whoever watched before.
const (
	historyInterval = 2 * time.Second
	historyLen      = 150 // samples kept per backend: five minutes
)

// History is each backend's recent figures, one sample every
// IntervalSeconds, oldest first; a backend's newest sample is the edge's
// newest. Rates are over the interval; latencies are the pool's
// percentiles of the minute before each sample.
type History struct {
	IntervalSeconds float64          `json:"interval_s"`
	Backends        []BackendHistory `json:"backends"`
}

// BackendHistory is one backend's samples; its slices are of one length.
type BackendHistory struct {
	URL               string    `json:"url"` // redacted, as in the pool status
	RequestsPerSecond []float64 `json:"rps"`
	InFlight          []float64 `json:"in_flight"`
	LatencyP50ms      []float64 `json:"p50_ms"`
	LatencyP99ms      []float64 `json:"p99_ms"`
}

// history is the ring the sampler fills.
type history struct {
	mu     sync.Mutex // protects everything below
	seq    int64      // samples taken
	last   time.Time  // of the last sample
	order  []string   // backends' URLs in the pool status' order at the last sample
	series map[string]*series
}

// series is one backend's samples, by its redacted URL.
type series struct {
	seen     int64  // seq of its last sample
	requests uint64 // its request counter then, for the next rate
	h        BackendHistory
}

// RecordHistory samples the pool every two seconds until ctx ends, for the
// status page's plots (statuspage.go) and the history in /_agora/status.
// The admin listener's owner runs it for as long as it serves.
func (e *Edge) RecordHistory(ctx context.Context) {
	e.init()
	t := time.NewTicker(historyInterval)
	defer t.Stop()
	e.sampleHistory(e.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.sampleHistory(e.Now())
		}
	}
}

// sampleHistory takes one sample of every backend at now. A backend's
// first sample (new, or back after missing one) only sets the base of its
// rate, which needs two.
func (e *Edge) sampleHistory(now time.Time) {
	st, _ := e.poolStatus()
	h := &e.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.series == nil {
		h.series = map[string]*series{}
	}
	dt := now.Sub(h.last).Seconds()
	h.seq++
	h.last = now
	h.order = h.order[:0]
	for _, b := range st.Backends {
		s := h.series[b.URL]
		switch {
		case s != nil && s.seen == h.seq:
			continue // a drained backend beside its successor at the same URL: the member came first
		case s == nil || s.seen != h.seq-1 || b.Requests < s.requests || dt <= 0:
			s = &series{h: BackendHistory{URL: b.URL}}
			h.series[b.URL] = s
		default:
			push(&s.h.RequestsPerSecond, float64(b.Requests-s.requests)/dt)
			push(&s.h.InFlight, float64(b.InFlight))
			push(&s.h.LatencyP50ms, b.LatencyP50ms)
			push(&s.h.LatencyP99ms, b.LatencyP99ms)
		}
		s.seen, s.requests = h.seq, b.Requests
		h.order = append(h.order, b.URL)
	}
	for u, s := range h.series {
		if s.seen != h.seq {
			delete(h.series, u) // gone from the pool
		}
	}
}

// push appends v, rounded to a tenth (the JSON stays short), dropping the
// oldest past historyLen.
func push(a *[]float64, v float64) {
	v = math.Round(v*10) / 10
	if len(*a) == historyLen {
		copy(*a, (*a)[1:])
		(*a)[historyLen-1] = v
		return
	}
	*a = append(*a, v)
}

// History returns a copy of the samples, backends in the pool status'
// order.
func (e *Edge) History() History {
	h := &e.history
	h.mu.Lock()
	defer h.mu.Unlock()
	out := History{IntervalSeconds: historyInterval.Seconds(), Backends: make([]BackendHistory, 0, len(h.order))}
	for _, u := range h.order {
		s := h.series[u].h
		out.Backends = append(out.Backends, BackendHistory{
			URL: s.URL, RequestsPerSecond: clone(s.RequestsPerSecond), InFlight: clone(s.InFlight),
			LatencyP50ms: clone(s.LatencyP50ms), LatencyP99ms: clone(s.LatencyP99ms),
		})
	}
	return out
}

func clone(a []float64) []float64 { return append([]float64{}, a...) }
