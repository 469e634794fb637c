package balance

import "time"

// Status is the pool as /_agora/status and /metrics show it.
type Status struct {
	// Panic: no member is available, so picks go to the last-known set.
	Panic    bool            `json:"panic"`
	Backends []BackendStatus `json:"backends"`
	// Held are the URLs an operator holds out (Pool.Hold), members or not:
	// a held URL that leaves the set and comes back stays out.
	Held []string `json:"held,omitempty"`
}

// BackendStatus is one backend's state and figures. Rates and latency
// percentiles cover the last minute; counters, the backend's life in the
// pool.
type BackendStatus struct {
	URL               string    `json:"url"`
	State             State     `json:"state"`
	Weight            float64   `json:"weight"` // slow start: below 1 while ramping
	InFlight          int64     `json:"in_flight"`
	Queued            int64     `json:"queued"`
	RequestsPerSecond float64   `json:"requests_per_second"`
	LatencyP50ms      float64   `json:"latency_p50_ms"`
	LatencyP95ms      float64   `json:"latency_p95_ms"`
	LatencyP99ms      float64   `json:"latency_p99_ms"`
	Requests          uint64    `json:"requests"`
	Failures          uint64    `json:"failures"`
	Ejections         uint64    `json:"ejections"`
	Retries           uint64    `json:"retries"`        // requests sent to it as retries
	Held              bool      `json:"held,omitempty"` // draining because an operator held it out
	EjectedUntil      time.Time `json:"ejected_until,omitzero"`
	CheckError        string    `json:"check_error,omitempty"` // why the last active check failed
}

// Status returns every member's status, then the draining backends'.
func (p *Pool) Status() Status {
	now := p.now()
	members := *p.members.Load()
	p.mu.Lock()
	p.pruneDrained()
	draining := append([]*Backend(nil), p.draining...)
	held := p.heldURLs()
	p.mu.Unlock()
	st := Status{Panic: len(members) > 0, Backends: make([]BackendStatus, 0, len(members)+len(draining)), Held: held}
	for _, b := range members {
		if ok, _ := b.available(now); ok {
			st.Panic = false
		}
		st.Backends = append(st.Backends, b.status(now))
	}
	for _, b := range draining {
		st.Backends = append(st.Backends, b.status(now))
	}
	return st
}

// Status is b's state and figures now.
func (b *Backend) Status() BackendStatus { return b.status(b.pool.now()) }

func (b *Backend) status(now time.Time) BackendStatus {
	n, p50, p95, p99 := b.lat.summary(now)
	_, w := b.available(now)
	s := BackendStatus{
		URL: b.URL.String(), State: b.stateAt(now), Weight: w,
		InFlight: b.inflight.Load(), Queued: b.queued.Load(),
		RequestsPerSecond: float64(n) / window.Seconds(),
		LatencyP50ms:      ms(p50), LatencyP95ms: ms(p95), LatencyP99ms: ms(p99),
		Requests: b.requests.Load(), Failures: b.failures.Load(),
		Ejections: b.ejections.Load(), Retries: b.retries.Load(),
	}
	b.mu.Lock()
	if s.State == Ejected {
		s.EjectedUntil = b.health.until
	}
	s.CheckError = b.health.checkErr
	s.Held = b.health.held
	b.mu.Unlock()
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
