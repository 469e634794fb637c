// Package ratelimit limits how often one client may ask the edge for each
// class of request (pages, search, cart, login, registration, checkout;
// see Classify), with a token bucket per client address and class, kept in
// the edge's memory so the request path never waits on another process.
//
// Several edges share their limits without a round trip per request: each
// reports, once a SyncEvery, how much each client used here and learns what
// the other edges let the same clients use, which it takes from its own
// buckets (sync.go). Until then each edge spends its own buckets: N edges
// can let a client through up to N times a bucket within one sync period,
// after which the clients' combined rate is the limit.
//
// Memory is bounded: at most MaxClients buckets, a full bucket (a client
// idle long enough to be owed nothing) is dropped first, and past the bound
// any bucket is dropped: a flood of addresses forgets some clients' debts,
// it cannot grow the edge. It owns no connection handling: the client's
// address is the caller's to establish (internal/clientaddr).
package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"log/slog"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for zero Limiter fields.
const (
	DefaultMaxClients = 200_000 // about 20 MB of buckets at most
	DefaultSyncEvery  = time.Second
	// DefaultMaxReport bounds the clients one sync reports; the others
	// wait for the next sync.
	DefaultMaxReport = 20_000
)

const numShards = 64

// sweepEvery is how often Run drops full buckets, in sync periods.
const sweepEvery = 10

// Limiter holds the buckets of one edge. Set its fields, then call Allow;
// the zero values of the optional fields are usable defaults. Rules must
// not change once Allow has been called.
type Limiter struct {
	// Rules are the limits by class; a class without one (or with an Off
	// one) is not limited.
	Rules map[Class]Rule
	// Exempt, if set, reports clients no limit applies to.
	Exempt func(netip.Addr) bool
	// MaxClients bounds the buckets held; see DefaultMaxClients.
	MaxClients int
	// Now is the clock; if nil, time.Now.
	Now func() time.Time
	// Sync, if set, sends this edge's report to the tier the edges share
	// and returns the other edges' totals (sync.go); Run calls it every
	// SyncEvery. Nil: this edge's limits are its own.
	Sync func(context.Context, Report) (Totals, error)
	// SyncEvery is the sync period; see DefaultSyncEvery.
	SyncEvery time.Duration
	// Log records failed syncs; if nil, slog.Default().
	Log *slog.Logger

	initOnce sync.Once
	rules    [numClasses]Rule
	id       string // this edge's name in reports: random per process
	seed     maphash.Seed
	shards   [numShards]shard
	perShard int

	refused [numClasses]atomic.Uint64
	since   atomic.Int64 // the sync tier's clock at the last sync (sync.go)
	syncs   atomic.Uint64
	syncErr atomic.Uint64
}

type shard struct {
	mu sync.Mutex // protects m and every bucket in it
	m  map[key]*bucket
}

type key struct {
	class Class
	addr  netip.Addr
}

// bucket is one client's tokens for one class.
type bucket struct {
	tokens float64
	at     int64 // unix nanoseconds of the last refill
	// used counts the requests this edge let through, ever; reported is
	// used as of the last report; others is the other edges' total as last
	// seen (seen: at all), from which the next total's growth is taken.
	used, reported, others uint64
	seen                   bool
}

func (l *Limiter) init() {
	l.initOnce.Do(func() {
		for c, r := range l.Rules {
			if c < numClasses && !r.Off() {
				l.rules[c] = r
			}
		}
		if l.MaxClients <= 0 {
			l.MaxClients = DefaultMaxClients
		}
		l.perShard = max(1, l.MaxClients/numShards)
		if l.Now == nil {
			l.Now = time.Now
		}
		if l.SyncEvery <= 0 {
			l.SyncEvery = DefaultSyncEvery
		}
		if l.Log == nil {
			l.Log = slog.Default()
		}
		var b [8]byte
		_, _ = rand.Read(b[:])
		l.id = hex.EncodeToString(b[:])
		l.seed = maphash.MakeSeed()
		for i := range l.shards {
			l.shards[i].m = map[key]*bucket{}
		}
	})
}

// Rule returns the rule in force for c.
func (l *Limiter) Rule(c Class) Rule {
	l.init()
	if c >= numClasses {
		return Rule{}
	}
	return l.rules[c]
}

// Allow takes a token from addr's bucket for c, or says how long the
// client should wait before asking again. Requests refused take nothing:
// a client that keeps trying is not punished for longer.
func (l *Limiter) Allow(c Class, addr netip.Addr) (ok bool, retryAfter time.Duration) {
	l.init()
	if c >= numClasses || l.rules[c].Off() || (l.Exempt != nil && l.Exempt(addr)) {
		return true, 0
	}
	r := l.rules[c]
	k := key{c, clientKey(addr)}
	now := l.Now().UnixNano()
	s := l.shard(k)
	s.mu.Lock()
	b := s.get(k, r, now, l.perShard)
	b.refill(r, now)
	if b.tokens >= 1 {
		b.tokens--
		b.used++
		s.mu.Unlock()
		return true, 0
	}
	wait := (1 - b.tokens) / r.Rate
	s.mu.Unlock()
	l.refused[c].Add(1)
	return false, time.Duration(math.Ceil(wait)) * time.Second
}

// Refused counts the requests refused, by class.
func (l *Limiter) Refused(c Class) uint64 {
	if c >= numClasses {
		return 0
	}
	return l.refused[c].Load()
}

// Clients is the number of buckets held.
func (l *Limiter) Clients() int {
	l.init()
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// clientKey is the address a client counts as: IPv6 hosts by their /64,
// which one host usually holds whole (as h1.Limits counts connections).
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

func (l *Limiter) shard(k key) *shard {
	b := k.addr.As16()
	h := maphash.Bytes(l.seed, b[:])
	return &l.shards[(h^uint64(k.class))%numShards]
}

// get returns k's bucket, making a full one if there is none; to keep
// within max it first drops a bucket: a full one if one of the first few
// looked at is, else whichever came first (Go's map order is random).
// The caller holds s.mu.
func (s *shard) get(k key, r Rule, now int64, max int) *bucket {
	if b, ok := s.m[k]; ok {
		return b
	}
	if len(s.m) >= max {
		var victim key
		n := 0
		for vk, vb := range s.m {
			if n == 0 {
				victim = vk
			}
			if vb.idle(r, now) {
				victim = vk
				break
			}
			if n++; n == 16 {
				break
			}
		}
		delete(s.m, victim)
	}
	b := &bucket{tokens: r.Burst, at: now}
	s.m[k] = b
	return b
}

// refill adds the tokens earned since the last refill, up to the burst.
func (b *bucket) refill(r Rule, now int64) {
	if now > b.at {
		b.tokens = min(r.Burst, b.tokens+float64(now-b.at)/1e9*r.Rate)
		b.at = now
	}
}

// idle reports whether the bucket has refilled to full and has nothing
// left to report: dropping it loses nothing.
func (b *bucket) idle(r Rule, now int64) bool {
	return b.used == b.reported && b.tokens+float64(now-b.at)/1e9*r.Rate >= r.Burst
}

// sweep drops the idle buckets.
func (l *Limiter) sweep() {
	l.init()
	now := l.Now().UnixNano()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, b := range s.m {
			if b.idle(l.rules[k.class], now) {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// Run syncs every SyncEvery (when Sync is set) and drops idle buckets,
// until ctx ends.
func (l *Limiter) Run(ctx context.Context) {
	l.init()
	t := time.NewTicker(l.SyncEvery)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.Sync != nil {
			l.SyncOnce(ctx)
		}
		if n%sweepEvery == 0 {
			l.sweep()
		}
	}
}
