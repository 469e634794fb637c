package balance

import (
	"context"
	"time"
)

// health is a backend's state machine, changed by active checks (health.go),
// reported outcomes (outlier.go) and Pool.Set.
type health struct {
	up    bool      // passed Rise checks since the last Fall failures (always, without checks)
	known bool      // was up once: a panic pick may go to it
	since time.Time // when it last became available: the slow start's origin

	passes, fails int    // consecutive active check results
	checkErr      string // why the last check failed, "" after a pass

	consecutive int // failed requests in a row
	ejected     bool
	until       time.Time // end of the ejection
	multiplier  int       // times ejected, less one per Interval spent not ejected (Envoy)
	unejected   time.Time // when the last ejection ended

	draining bool
	// held: an operator took b out (Pool.Hold); it takes no requests, as
	// if draining, but stays a member, checked, until Pool.Unhold.
	held bool
	stop context.CancelFunc // ends the health checker; nil without checks
}

// publish makes Pick see b.health. The caller holds b.mu.
func (b *Backend) publish() {
	h := &b.health
	v := &view{since: h.since, until: h.until, known: h.known, held: h.held}
	switch {
	case h.draining, h.held:
		v.state = Draining
	case !h.up && h.known:
		v.state = Unhealthy // before Ejected: the end of an ejection does not make it pass checks
	case !h.up:
		v.state = Joining
	case h.ejected:
		v.state = Ejected
	default:
		v.state = Healthy
	}
	b.view.Store(v)
	// Gone's signal: cancelled on the way out, renewed on the way back.
	out := v.state == Unhealthy || v.state == Ejected
	switch cur := b.out.Load(); {
	case out && cur != nil && cur.ctx.Err() == nil:
		cur.cancel()
	case !out && (cur == nil || cur.ctx.Err() != nil):
		ctx, cancel := context.WithCancel(context.Background())
		b.out.Store(&outSignal{ctx, cancel})
	}
}

// becomeUp makes b available from now, slow-starting. The caller holds b.mu.
func (b *Backend) becomeUp(now time.Time) {
	b.health.up, b.health.known, b.health.since = true, true, now
}

// unejectIfDue ends an ejection whose time ran out; a check that passes
// ends it sooner (health.go). The caller holds b.mu.
func (b *Backend) unejectIfDue(now time.Time) {
	h := &b.health
	if h.ejected && !now.Before(h.until) {
		b.uneject(h.until)
	}
}

// uneject ends the ejection at t; b slow-starts from t. The caller holds b.mu.
func (b *Backend) uneject(t time.Time) {
	h := &b.health
	h.ejected, h.consecutive, h.unejected, h.since = false, 0, t, t
}
