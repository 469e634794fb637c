package balance

import (
	"slices"
	"time"
)

// Hold takes the member with URL u out of the pool until Unhold: it gets
// no new requests, its requests in flight finish, and it shows as draining
// (Status says held). Unlike a removal by Set it stays a member, checked
// as before, and the hold outlives Set: a re-resolution or a supervisor
// that gives u again does not bring it back. u is the member's URL as
// Members gives it. Holding a held member is harmless.
func (p *Pool) Hold(u string) (*Backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.member(u)
	if b == nil {
		return nil, ErrUnknownBackend
	}
	if p.held == nil {
		p.held = map[string]bool{}
	}
	p.held[u] = true
	b.setHeld(true, p.now())
	p.cfg.Log.Info("balance: backend held out", "backend", u, "in_flight", b.InFlight())
	return b, nil
}

// Unhold ends the hold on u. A member comes back slow-starting, as a
// recovered backend does; a held URL no longer in the set is forgotten,
// and joins as any other when Set gives it again (the backend is then
// nil). It fails with ErrUnknownBackend when u is neither a member nor
// held; unholding a member not held is harmless.
func (p *Pool) Unhold(u string) (*Backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.member(u)
	if b == nil && !p.held[u] {
		return nil, ErrUnknownBackend
	}
	delete(p.held, u)
	if b != nil {
		b.setHeld(false, p.now())
	}
	p.cfg.Log.Info("balance: backend hold ended", "backend", u)
	return b, nil
}

// member is the member with URL u, or nil.
func (p *Pool) member(u string) *Backend {
	for _, b := range *p.members.Load() {
		if b.URL.String() == u {
			return b
		}
	}
	return nil
}

// heldURLs are the held URLs, sorted. The caller holds p.mu.
func (p *Pool) heldURLs() []string {
	if len(p.held) == 0 {
		return nil
	}
	out := make([]string, 0, len(p.held))
	for u := range p.held {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// setHeld holds b out or lets it back at now. Let back, b ramps up from
// now, unless no other member takes requests (nothing to ramp against).
func (b *Backend) setHeld(on bool, now time.Time) {
	alone := !on && !b.pool.anyAvailable(b, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	h := &b.health
	if h.held == on {
		return
	}
	h.held = on
	if !on && h.up {
		h.since = now
		if alone {
			h.since = time.Time{}
		}
	}
	b.publish()
}
