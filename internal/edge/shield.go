package edge

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"agora/internal/edge/purgelog"
)

// Tiered caching (issue 13): a PoP's backend may be another edge, the
// shield, so that a cold object costs the app tier one fetch however many
// PoPs ask for it. Two things then cross the PoP↔shield hop that never
// reach the public:
//
//   - the PoP's request carries the cluster secret in shieldAuthField; only
//     to such a request does the shield answer with the page's tags and
//     targeted fields (the PoP must be able to purge it by tag) and with
//     shieldField, "seq=N" (N: the last purge log entry the shield had
//     applied when the request arrived, so its answer reflects every purge
//     up to N) plus ", stale" when the answer is a stale page (a soft
//     purge, stale-while-revalidate, stale-if-error);
//   - the PoP stores such an answer only when no purge it has applied and
//     the shield had not could cover it, and never a stale one: the "purge
//     twice" problem of tiered caches, where a PoP purged first re-caches
//     the old page from a shield purged later, cannot happen, and a soft
//     purge does not spread stale pages as fresh ones.
//
// The purge log itself does not go through the shield: a PoP follows the
// app tier's log directly (Edge.PurgeLog, --purge-origin), so a lagging
// or failing shield never delays what a PoP knows, and the shield's public
// listener never forwards /_internal/.
const (
	shieldAuthField = "Agora-Shield-Auth"
	shieldField     = "Agora-Shield"
)

// Cache-Status details of a shield's answer a PoP did not store.
const (
	reasonShieldUnstamped = "shield-unstamped"
	reasonShieldStale     = "shield-stale"
	reasonShieldBehind    = "shield-behind"
)

// recentPurges bounds the purge log entries a PoP remembers to judge a
// shield's answer; a shield further behind than that is not trusted.
const recentPurges = 4096

// purgeRing is the tail of the purge log this edge applied, by seq.
type purgeRing struct {
	mu sync.Mutex // protects all fields
	// from is the log position after which every applied entry is in
	// entries (dropping the oldest raises it); meaningful only when known,
	// which it is not at start nor after a reset.
	from    int64
	known   bool
	last    int64 // the highest seq applied
	entries []purgelog.Entry
}

// record notes p, applied; pos is the log position before it.
func (g *purgeRing) record(p purgelog.Entry, pos int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.known {
		g.from, g.known = pos, true
	}
	g.entries = append(g.entries, p)
	if len(g.entries) > recentPurges {
		g.from = g.entries[0].Seq
		g.entries = slices.Delete(g.entries, 0, 1)
	}
	g.last = max(g.last, p.Seq)
}

// reset forgets the tail: entries were missed.
func (g *purgeRing) reset() {
	g.mu.Lock()
	g.entries, g.known = nil, false
	g.mu.Unlock()
}

// covers reports whether an entry applied here after seq (which the
// shield had not applied) could purge a page with tags.
func (g *purgeRing) covers(seq int64, tags []string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if seq >= g.last {
		return false
	}
	if !g.known || seq < g.from {
		return true // cannot tell: some entry after seq is not known here
	}
	for _, p := range g.entries {
		if p.Seq <= seq {
			continue
		}
		for _, t := range p.Tags {
			if strings.HasPrefix(t, reservedTagPrefix) || slices.Contains(tags, t) {
				return true // a purge of everything, or of a URL: assume it covers
			}
		}
	}
	return false
}

// appliedSeq is the purge log position this edge has applied: every
// entry up to it has reached the store.
func (e *Edge) appliedSeq() int64 {
	var pos int64
	if e.Follower != nil {
		pos = e.Follower.Applied()
	}
	e.purges.mu.Lock()
	defer e.purges.mu.Unlock()
	return max(pos, e.purges.last)
}

// ResetPurges drops the whole cache because purge log entries were
// missed; it is a purgelog.Follower's Reset.
func (e *Edge) ResetPurges() {
	e.init()
	e.purges.reset()
	e.Store.PurgeAll()
}

// shieldKey marks the context of a request from a PoP that holds the
// cluster secret; its value is the shield's applied seq on arrival.
type shieldKey struct{}

// asShield returns r marked as a PoP's request when it carries the
// cluster secret, and r unchanged (the field removed) otherwise. ServeHTTP
// asks first, for every method: a PoP of this store is trusted as a proxy
// (its forwarding fields are believed, its shoppers were rate limited
// there), so a shield needs no --trusted-proxies entry per PoP.
func (e *Edge) asShield(r *http.Request) *http.Request {
	tok := r.Header.Get(shieldAuthField)
	if tok == "" {
		return r
	}
	r = r.Clone(r.Context())
	r.Header.Del(shieldAuthField)
	if e.ClusterSecret == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(e.ClusterSecret)) != 1 {
		return r // a guess, or another store's PoP: served as the public is
	}
	// Read before the lookup: the answer reflects every purge up to it.
	return r.WithContext(context.WithValue(r.Context(), shieldKey{}, e.appliedSeq()))
}

// fromPoP reports whether r came from a PoP holding the cluster secret
// (asShield marked it).
func fromPoP(r *http.Request) bool {
	_, ok := r.Context().Value(shieldKey{}).(int64)
	return ok
}

// stampShield adds, for a PoP's request, the fields only PoPs get: the
// shield's applied seq, whether the answer is stale, and the page's tags
// (the targeted fields stay: the stored header keeps Surrogate-Control).
func stampShield(h http.Header, r *http.Request, tags []string, stale bool) bool {
	seq, ok := r.Context().Value(shieldKey{}).(int64)
	if !ok {
		return false
	}
	v := "seq=" + strconv.FormatInt(seq, 10)
	if stale {
		v += ", stale"
	}
	h.Set(shieldField, v)
	if len(tags) > 0 {
		h.Set("Surrogate-Key", strings.Join(tags, " "))
	}
	return true
}

// shieldStamp is what a shield said of its answer.
type shieldStamp struct {
	ok    bool // the answer carried a well-formed stamp
	seq   int64
	stale bool
}

// takeShieldStamp reads and removes shieldField from h: it never goes
// further than the edge that reads it, whichever backend sent it.
func takeShieldStamp(h http.Header) shieldStamp {
	v := h.Get(shieldField)
	h.Del(shieldField)
	var s shieldStamp
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if n, ok := strings.CutPrefix(p, "seq="); ok {
			seq, err := strconv.ParseInt(n, 10, 64)
			if err != nil || seq < 0 {
				return shieldStamp{}
			}
			s.ok, s.seq = true, seq
		} else if p == "stale" {
			s.stale = true
		}
	}
	return s
}

// shieldRefuses says why a PoP must not store an answer of its shield
// with tags, or "" when it may (or when the backends are no shield).
func (e *Edge) shieldRefuses(s shieldStamp, tags []string) string {
	switch {
	case e.ShieldSecret == "":
		return ""
	case !s.ok:
		return reasonShieldUnstamped
	case s.stale:
		return reasonShieldStale
	case e.purges.covers(s.seq, tags):
		return reasonShieldBehind
	}
	return ""
}
