package balance

import "slices"

// Choice is the backend Pick chose.
type Choice struct {
	Backend *Backend
	// Panic: no member was available (all unhealthy, ejected, joining or
	// excluded), so Backend is the least bad of the last-known set (Envoy's
	// panic mode). The edge sends only idempotent requests there and
	// prefers a stale page from its cache (issue 10).
	Panic bool
}

// Pick chooses a backend for a request. key is what Hash hashes (the URL
// or a header); other policies ignore it. exclude are backends already
// tried for this request: a retry goes to a different one.
//
// Among available backends (healthy or slow-starting) the Selector
// chooses. When none is left, Pick panics: it chooses among the members
// that were up once, or failing that any member, and says so in
// Choice.Panic. It fails with ErrNoBackend only when the set is empty or
// every member is excluded.
func (p *Pool) Pick(key string, exclude ...*Backend) (Choice, error) {
	members := *p.members.Load()
	now := p.now()
	cands := make([]Candidate, 0, len(members))
	for _, b := range members {
		if ok, w := b.available(now); ok && !slices.Contains(exclude, b) {
			cands = append(cands, Candidate{Backend: b, Weight: w})
		}
	}
	if len(cands) > 0 {
		return Choice{Backend: p.sel.Select(cands, key)}, nil
	}
	// Panic: the whole pool failing at once is more likely a shared
	// dependency (the database behind /readyz) than every backend dead.
	for _, known := range []bool{true, false} {
		for _, b := range members {
			v := b.view.Load()
			// A held backend stays out even now: an operator took it
			// out, perhaps to stop it.
			if (!known || v.known) && !v.held && !slices.Contains(exclude, b) {
				cands = append(cands, Candidate{Backend: b, Weight: 1})
			}
		}
		if len(cands) > 0 {
			return Choice{Backend: p.sel.Select(cands, key), Panic: true}, nil
		}
	}
	return Choice{}, ErrNoBackend
}
