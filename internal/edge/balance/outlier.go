package balance

import "time"

// Outlier is the passive outlier detection on the outcomes the edge
// reports (Envoy's consecutive-failure detection): Consecutive failed
// requests in a row eject a backend for BaseEjection × the times it was
// ejected, up to MaxEjection; the count falls by one for each Interval it
// spends not ejected. Ejection never takes more than MaxFraction of the
// pool's members out (counting unhealthy ones): the rest must carry the
// load, and a pool-wide failure is panic mode's business, not ejection's.
type Outlier struct {
	Consecutive  int           // if 0, 5 (Envoy's consecutive_5xx); negative turns ejection off
	BaseEjection time.Duration // if 0, 30 s
	MaxEjection  time.Duration // if 0, 300 s
	MaxFraction  float64       // if 0, 0.5
	Interval     time.Duration // if 0, 10 s
}

func (o Outlier) withDefaults() Outlier {
	if o.Consecutive == 0 {
		o.Consecutive = 5
	}
	if o.BaseEjection <= 0 {
		o.BaseEjection = 30 * time.Second
	}
	if o.MaxEjection <= 0 {
		o.MaxEjection = 300 * time.Second
	}
	if o.MaxFraction <= 0 {
		o.MaxFraction = 0.5
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	return o
}

// report applies one request's outcome to b's outlier state.
func (p *Pool) report(b *Backend, o Outcome, now time.Time) {
	if o == Canceled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h := &b.health
	if h.ejected && !now.Before(h.until) {
		b.unejectIfDue(now)
		b.publish()
	}
	if !o.failed() {
		h.consecutive = 0
		return
	}
	h.consecutive++
	oc := p.cfg.Outlier
	if oc.Consecutive < 0 || h.consecutive < oc.Consecutive || h.ejected || h.draining {
		return
	}
	p.ejectMu.Lock()
	defer p.ejectMu.Unlock()
	if !p.mayEject(b, now) {
		return
	}
	if !h.unejected.IsZero() {
		h.multiplier = max(0, h.multiplier-int(now.Sub(h.unejected)/oc.Interval))
	}
	h.multiplier++
	d := min(oc.BaseEjection*time.Duration(h.multiplier), oc.MaxEjection)
	h.ejected, h.until = true, now.Add(d)
	b.ejections.Add(1)
	b.publish() // under ejectMu, so the next mayEject counts it
	p.cfg.Log.Warn("balance: backend ejected", "backend", b.URL.String(), "failures", h.consecutive, "for", d)
}

// mayEject reports whether taking b out keeps the members out (ejected,
// unhealthy or held by an operator) within MaxFraction. The caller holds p.ejectMu.
func (p *Pool) mayEject(b *Backend, now time.Time) bool {
	members := *p.members.Load()
	out := 1 // b
	for _, m := range members {
		if m == b {
			continue
		}
		if st := m.stateAt(now); st == Ejected || st == Unhealthy || st == Draining {
			out++
		}
	}
	return out <= int(p.cfg.Outlier.MaxFraction*float64(len(members)))
}
