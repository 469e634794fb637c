package cache

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
)

// ErrTooLarge is returned by Put for an object over the per-object limit;
// the proxy streams such responses instead of storing them.
var ErrTooLarge = errors.New("cache: object too large to store")

// entryOverhead approximates the per-entry memory beyond the bytes we
// count: the Entry struct, map slots and otter's node.
const entryOverhead = 256

// Entry is one stored response. Its fields are set before Put and never
// changed after; only the soft-purge and encoding marks change, atomically.
// A version with compressed bodies replaces it through Store.Replace.
type Entry struct {
	Key    string
	Status int
	Header http.Header
	// Heads are the status line and header fields serialized for the
	// edge's fast path, one per content coding served ("identity", "gzip",
	// "br"), each with its Content-Length and Content-Encoding but without
	// Age and Cache-Status, which change per hit. Optional: an entry
	// without them is served by the ordinary path.
	Heads map[string][]byte
	Body  []byte
	Tags  []string
	// StoredAt is response_time (RFC 9111 §4.2.3); Date the origin's Date.
	StoredAt     time.Time
	Date         time.Time
	Freshness    Freshness
	ETag         string
	LastModified string
	Vary         []string
	// Compressible: the body is worth serving in other content codings;
	// the answer then varies by Accept-Encoding.
	Compressible bool
	// Encoded holds the body in other content codings ("gzip", "br"),
	// made once per stored response, on its first hit that asks for one
	// (WithEncoded), so pages fetched once are never compressed. Non-nil
	// once made, even when no coding came out smaller. Counted in the
	// entry's weight.
	Encoded map[string][]byte

	// soft is the soft-purge mark, shared with the versions that replace
	// this entry (WithEncoded), so a purge marking any of them marks all.
	soft     *atomic.Bool
	encoding atomic.Bool // one caller compresses (ClaimEncoding)
	weight   uint32
}

// mark returns e's soft-purge mark, made on first use.
func (e *Entry) mark() *atomic.Bool {
	if e.soft == nil {
		e.soft = new(atomic.Bool) // before Put: the entry is not shared yet
	}
	return e.soft
}

// ClaimEncoding reports whether the caller is the one to make e's encoded
// versions: true once per entry, and only while it has none.
func (e *Entry) ClaimEncoding() bool {
	return e.Compressible && e.Encoded == nil && e.encoding.CompareAndSwap(false, true)
}

// WithEncoded returns a new version of e holding encoded bodies (and the
// heads the caller serializes for them afterwards), to be stored with
// Replace. It shares e's soft-purge mark.
func (e *Entry) WithEncoded(encoded map[string][]byte) *Entry {
	if encoded == nil {
		encoded = map[string][]byte{}
	}
	return &Entry{
		Key: e.Key, Status: e.Status, Header: e.Header, Body: e.Body, Tags: e.Tags,
		StoredAt: e.StoredAt, Date: e.Date, Freshness: e.Freshness,
		ETag: e.ETag, LastModified: e.LastModified, Vary: e.Vary,
		Compressible: e.Compressible, Encoded: encoded, soft: e.mark(),
	}
}

// State is the entry's state at now; a soft-purged entry is at best
// StaleRevalidate, so it is served once more while one refresh goes to the
// origin (DESIGN.md, "Tags").
func (e *Entry) State(now time.Time) State {
	st := e.Freshness.State(e.StoredAt, now)
	if e.SoftPurged() && st == Fresh {
		return StaleRevalidate
	}
	return st
}

// SoftPurged reports whether a soft purge marked the entry stale.
func (e *Entry) SoftPurged() bool { return e.soft != nil && e.soft.Load() }

func (e *Entry) size() uint64 {
	n := uint64(entryOverhead + len(e.Key) + cap(e.Body) + len(e.ETag) + len(e.LastModified))
	for k, vs := range e.Header {
		n += uint64(len(k))
		for _, v := range vs {
			n += uint64(len(v) + 16)
		}
	}
	for _, t := range e.Tags {
		n += uint64(len(t) + 16)
	}
	for _, v := range e.Vary {
		n += uint64(len(v) + 16)
	}
	// Capacities, not lengths: spare capacity is memory held too.
	for c, b := range e.Encoded {
		n += uint64(len(c) + cap(b) + 16)
	}
	for c, b := range e.Heads {
		n += uint64(len(c) + cap(b) + 16)
	}
	return n
}

// Config sizes a Store.
type Config struct {
	// MaxBytes bounds the stored bytes (--cache-size). Required.
	MaxBytes uint64
	// MaxObjectBytes is the largest entry stored. If zero, MaxBytes/16.
	MaxObjectBytes uint64
}

// Stats is a snapshot of the store's counters.
type Stats struct {
	Entries  int
	Bytes    uint64
	MaxBytes uint64 // the bound, Config.MaxBytes
	Hits     uint64
	Misses   uint64
	// PurgedInFlight counts the responses PutFetched kept out or stored
	// stale because a purge applied during their fetch covered them.
	PurgedInFlight uint64
}

// Store is a byte-bounded response store with a tag index. It is safe for
// concurrent use; Get takes no Store lock.
type Store struct {
	c         *otter.Cache[string, *Entry]
	maxBytes  uint64
	maxObject uint64

	// putMu protects hist and serializes Put, Replace and PurgeAll, so
	// index updates and cache writes happen in one order, and a purge is
	// either recorded before a PutFetched checks hist or finds the entry
	// in the index and the cache.
	putMu sync.Mutex
	hist  history

	idxMu sync.Mutex                   // protects tags; never held while calling into c
	tags  map[string]map[string]*Entry // tag → key → entry stored under that key

	hits, misses, purgedInFlight atomic.Uint64
}

// NewStore returns an empty store.
func NewStore(cfg Config) (*Store, error) {
	if cfg.MaxBytes == 0 {
		return nil, errors.New("cache: MaxBytes must be positive")
	}
	s := &Store{maxBytes: cfg.MaxBytes, maxObject: cfg.MaxObjectBytes, tags: map[string]map[string]*Entry{}}
	s.hist.init()
	if s.maxObject == 0 {
		s.maxObject = max(cfg.MaxBytes/16, 1)
	}
	s.maxObject = min(s.maxObject, 1<<32-1) // otter weights are uint32
	c, err := otter.New(&otter.Options[string, *Entry]{
		MaximumWeight: cfg.MaxBytes,
		Weigher:       func(_ string, e *Entry) uint32 { return e.weight },
		// Runs under otter's bucket lock on every removal (eviction,
		// invalidation, replacement), so the index never names a key
		// that is gone. It only takes idxMu, which is never held while
		// calling into the cache, so it cannot deadlock.
		OnAtomicDeletion: func(ev otter.DeletionEvent[string, *Entry]) { s.unindex(ev.Value) },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	s.c = c
	return s, nil
}

// Get returns the entry under key and counts a hit or a miss.
func (s *Store) Get(key string) (*Entry, bool) {
	e, ok := s.c.GetIfPresent(key)
	if ok {
		s.hits.Add(1)
	} else {
		s.misses.Add(1)
	}
	return e, ok
}

// Put stores e under e.Key, replacing any previous entry, whatever was
// purged before. The caller must not modify e afterwards. A response from
// an origin is stored with PutFetched instead.
func (s *Store) Put(e *Entry) error {
	if err := s.weigh(e); err != nil {
		return err
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.set(e)
	return nil
}

// BeginFetch returns the point in the purge history a fetch begins after;
// call it before asking the origin, give it to PutFetched with the
// response, and to EndFetch once the fetch is over, so the history can
// forget what no fetch in flight needs.
func (s *Store) BeginFetch() Gen {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	g := s.hist.gen
	s.hist.live[g]++
	return g
}

// EndFetch ends a fetch begun with BeginFetch.
func (s *Store) EndFetch(since Gen) {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	if s.hist.live[since]--; s.hist.live[since] <= 0 {
		delete(s.hist.live, since)
	}
}

// PutFetched stores e, a response whose fetch began after since
// (BeginFetch), unless a purge applied since then covers it: after a hard
// purge (of its key or URL, a tag of it, or everything) it returns
// ErrPurged and stores nothing; after a soft purge of a tag of it, e is
// stored already soft-purged, as the purge would have left it.
func (s *Store) PutFetched(e *Entry, since Gen) error {
	if err := s.weigh(e); err != nil {
		return err
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	switch s.hist.judge(e, since) {
	case hardPurged:
		s.purgedInFlight.Add(1)
		return ErrPurged
	case softPurged:
		s.purgedInFlight.Add(1)
		e.soft.Store(true) // made by weigh
	}
	s.set(e)
	return nil
}

// weigh checks e's size and readies it for storing.
func (s *Store) weigh(e *Entry) error {
	size := e.size()
	if size > s.maxObject {
		return ErrTooLarge
	}
	e.weight = uint32(size)
	e.mark()
	return nil
}

// set stores e; s.putMu is held.
func (s *Store) set(e *Entry) {
	// Index first: if the entry is evicted the moment it is set, the
	// deletion listener finds it in the index and removes it.
	s.index(e)
	s.c.Set(e.Key, e)
}

// Replace stores nw in old's place only if old is still what is stored
// under its key, and reports whether it did. A purge that removed old
// (or a newer response that replaced it) wins: nothing comes back. nw must
// share old's soft-purge mark (WithEncoded), so a soft purge racing with
// the replacement is not lost either.
func (s *Store) Replace(old, nw *Entry) (bool, error) {
	if err := s.weigh(nw); err != nil {
		return false, err
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	replaced := false
	s.c.ComputeIfPresent(old.Key, func(cur *Entry) (*Entry, otter.ComputeOp) {
		if cur != old {
			return cur, otter.CancelOp
		}
		// Indexed under the key's lock, before it is stored: an eviction
		// of nw (which takes that lock) finds it in the index, and a lost
		// replace never touches the index of what is stored.
		s.index(nw)
		replaced = true
		return nw, otter.WriteOp
	})
	return replaced, nil
}

// PurgeKey removes the entry under key and reports whether there was one.
// A purge of a primary key (Key with no Vary) covers all its variants in
// fetches in flight (PutFetched), though it removes only what is under key.
func (s *Store) PurgeKey(key string) bool {
	s.putMu.Lock()
	s.hist.recordKey(key)
	s.putMu.Unlock()
	_, ok := s.c.Invalidate(key)
	return ok
}

// PurgeTag purges every entry tagged tag and returns how many. A hard purge
// removes them; a soft one marks them stale (see Entry.State).
func (s *Store) PurgeTag(tag string, soft bool) int {
	// Recorded before the index is read: an entry PutFetched after this
	// sees the purge, one stored before it is in the index.
	s.putMu.Lock()
	s.hist.recordTag(tag, soft)
	s.putMu.Unlock()
	s.idxMu.Lock()
	entries := make([]*Entry, 0, len(s.tags[tag]))
	for _, e := range s.tags[tag] {
		entries = append(entries, e)
	}
	s.idxMu.Unlock()
	for _, e := range entries {
		if soft {
			e.soft.Store(true) // set by Put
		} else {
			s.c.Invalidate(e.Key)
		}
	}
	return len(entries)
}

// PurgeAll removes every entry, as when the purge log has a gap.
func (s *Store) PurgeAll() {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.hist.recordAll()
	s.c.InvalidateAll()
}

// SoftPurgeAll marks every entry stale: each is served once more while a
// refresh fetches it (Entry.State), so an operator's "everything changed"
// does not turn into a cold cache and a stampede on the app tier.
func (s *Store) SoftPurgeAll() {
	s.putMu.Lock()
	s.hist.soft = s.hist.next() // recorded first, as in PurgeTag
	s.putMu.Unlock()
	for _, e := range s.c.All() {
		e.soft.Store(true)
	}
}

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	return Stats{
		Entries:  s.c.EstimatedSize(),
		Bytes:    s.c.WeightedSize(),
		MaxBytes: s.maxBytes,
		Hits:     s.hits.Load(),
		Misses:   s.misses.Load(),

		PurgedInFlight: s.purgedInFlight.Load(),
	}
}

func (s *Store) index(e *Entry) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	for _, t := range e.Tags {
		keys := s.tags[t]
		if keys == nil {
			keys = map[string]*Entry{}
			s.tags[t] = keys
		}
		keys[e.Key] = e
	}
}

// unindex removes e from the index, but only where the index still points
// at e: a replacement's new entry is indexed before the old one leaves.
func (s *Store) unindex(e *Entry) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	for _, t := range e.Tags {
		keys := s.tags[t]
		if keys[e.Key] != e {
			continue
		}
		delete(keys, e.Key)
		if len(keys) == 0 {
			delete(s.tags, t)
		}
	}
}
