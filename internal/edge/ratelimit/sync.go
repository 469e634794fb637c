package ratelimit

import (
	"context"
	"net/netip"
	"strings"
)

// Reconciling edges (POST /_internal/ratelimit on the app tier, which keeps
// the numbers in the database every app instance shares). Each edge sends,
// per client and class it let through since its last report, its total
// since the bucket was made (N, cumulative: a lost or repeated report
// cannot count twice) and the growth since its last report (D); the tier
// answers the same for the other edges, summed, for the keys any of them
// reported since the Since it gave last. An edge takes the growth of the
// others' total from its bucket; for a key it meets for the first time it
// takes D, the others' growth since its last sync as far as the tier knows
// it (exact for a client new to the other edges; for one they have served
// a while, only their last report's growth, as older use has refilled).

// Report is what an edge sends each sync.
type Report struct {
	// Edge names the edge, random per process.
	Edge string `json:"edge"`
	// Since is Totals.Now of the previous answer (0 at first): the keys
	// the answer needs are those reported since.
	Since int64   `json:"since"`
	Usage []Usage `json:"usage"`
}

// Usage is one key's numbers: in a Report this edge's, in Totals the other
// edges' summed.
type Usage struct {
	Key string `json:"k"` // "<class> <address>", as "login 203.0.113.9"
	N   uint64 `json:"n"` // requests let through since the bucket was made
	// D in a Report: of which since the previous report. In Totals: the
	// others' growth since Report.Since as the tier knows it (all of N for
	// buckets begun since, else their last report's growth); an edge
	// meeting a key for the first time takes D.
	D uint64 `json:"d"`
}

// Totals is the tier's answer.
type Totals struct {
	// Now is the tier's clock (Unix milliseconds), for the next Since.
	Now   int64   `json:"now"`
	Usage []Usage `json:"usage"`
}

// FormatKey and ParseKey write and read a Usage key.
func FormatKey(c Class, a netip.Addr) string { return c.String() + " " + a.String() }

// ParseKey reads a Usage key; ok is false for one this package did not
// write (an edge of another version: ignored, not fatal).
func ParseKey(s string) (c Class, a netip.Addr, ok bool) {
	name, addr, found := strings.Cut(s, " ")
	if !found {
		return 0, netip.Addr{}, false
	}
	for _, cl := range Classes {
		if cl.String() == name {
			a, err := netip.ParseAddr(addr)
			return cl, a, err == nil
		}
	}
	return 0, netip.Addr{}, false
}

// SyncOnce reports this edge's use and takes the other edges' from its
// buckets. A failed sync is logged and changes nothing but the report's
// growth (D), which is then lost: the totals (N) stay exact.
func (l *Limiter) SyncOnce(ctx context.Context) {
	l.init()
	rep := Report{Edge: l.id, Since: l.since.Load(), Usage: l.collect(DefaultMaxReport)}
	tot, err := l.Sync(ctx, rep)
	if err != nil {
		if ctx.Err() == nil && l.syncErr.Add(1)%60 == 1 {
			l.Log.Warn("rate limits: cannot sync with the other edges; each edge limits on its own meanwhile", "err", err)
		}
		return
	}
	l.syncs.Add(1)
	l.since.Store(tot.Now)
	l.apply(tot.Usage)
}

// collect lists the buckets used since their last report, up to max, and
// marks them reported.
func (l *Limiter) collect(max int) []Usage {
	l.init()
	var us []Usage
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, b := range s.m {
			if len(us) >= max {
				break
			}
			if b.used != b.reported {
				us = append(us, Usage{Key: FormatKey(k.class, k.addr), N: b.used, D: b.used - b.reported})
				b.reported = b.used
			}
		}
		s.mu.Unlock()
	}
	return us
}

// apply takes the other edges' use from the buckets.
func (l *Limiter) apply(us []Usage) {
	l.init()
	now := l.Now().UnixNano()
	for _, u := range us {
		c, a, ok := ParseKey(u.Key)
		if !ok || l.rules[c].Off() {
			continue
		}
		r := l.rules[c]
		k := key{c, clientKey(a)}
		s := l.shard(k)
		s.mu.Lock()
		b := s.get(k, r, now, l.perShard)
		var debit uint64
		switch {
		case !b.seen:
			debit = u.D
		case u.N >= b.others:
			debit = u.N - b.others
		}
		// Else the others' total fell (an edge dropped the bucket and
		// began again): take nothing, and count from the new total.
		b.others, b.seen = u.N, true
		b.refill(r, now)
		// A client far over everywhere waits at most two bursts' refill.
		b.tokens = max(-r.Burst, b.tokens-float64(debit))
		s.mu.Unlock()
	}
}

// Stats is what the admin status shows of the limits.
type Stats struct {
	Edge    string            `json:"edge"`
	Clients int               `json:"clients"`
	Rules   map[string]string `json:"rules"`
	Refused map[string]uint64 `json:"refused"`
	Syncs   uint64            `json:"syncs"`
	Failed  uint64            `json:"sync_failures"`
}

// Stats reports the limiter's state.
func (l *Limiter) Stats() Stats {
	l.init()
	st := Stats{Edge: l.id, Clients: l.Clients(), Rules: map[string]string{}, Refused: map[string]uint64{},
		Syncs: l.syncs.Load(), Failed: l.syncErr.Load()}
	for _, c := range Classes {
		st.Rules[c.String()] = l.rules[c].String()
		st.Refused[c.String()] = l.refused[c].Load()
	}
	return st
}
