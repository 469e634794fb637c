package cache

import (
	"errors"
	"strings"
)

// A response fetched while a purge is applied was made from the data as it
// was before the change the purge is for: stored after the purge, it would
// undo it for its whole lifetime (issue 9, item 5; Varnish and nginx share
// this race). So the store remembers its recent purges, each with a
// generation, and a response is stored with the generation its fetch began
// after (BeginFetch, PutFetched): a purge since then that covers it (its
// key, its URL's primary key, one of its tags, or everything) keeps it out,
// or, for a soft purge, lets it in already stale.

// Gen is a point in a store's purge history: purges are numbered from 1 in
// the order they are applied.
type Gen uint64

// ErrPurged is PutFetched's answer for a response that a purge applied
// during its fetch covers.
var ErrPurged = errors.New("cache: purged while it was being fetched")

// maxHistory bounds the purges remembered (tags plus keys). Past it those
// no fetch in flight can need are forgotten; if that is not enough, all
// are, and every fetch in flight then counts as purged (not stored).
const maxHistory = 1 << 16

// history is a store's record of recent purges, guarded by Store.putMu.
type history struct {
	gen   Gen // the last purge's
	floor Gen // purges up to floor are forgotten: a fetch begun before it counts as purged
	all   Gen // the last PurgeAll
	soft  Gen // the last SoftPurgeAll
	keys  map[string]Gen
	tags  map[string]tagPurges
	live  map[Gen]int // fetches in flight by the Gen they began after
}

// tagPurges are the last hard and soft purges of a tag.
type tagPurges struct{ hard, soft Gen }

// verdict is what the history says of an entry fetched after since.
type verdict int

const (
	untouched verdict = iota
	softPurged
	hardPurged
)

func (h *history) init() {
	h.keys = map[string]Gen{}
	h.tags = map[string]tagPurges{}
	h.live = map[Gen]int{}
}

// judge says whether a purge since since covers e.
func (h *history) judge(e *Entry, since Gen) verdict {
	if since < h.floor || h.all > since || h.keys[e.Key] > since || h.keys[primaryKey(e.Key)] > since {
		return hardPurged
	}
	v := untouched
	if h.soft > since {
		v = softPurged
	}
	for _, t := range e.Tags {
		p := h.tags[t]
		if p.hard > since {
			return hardPurged
		}
		if p.soft > since {
			v = softPurged
		}
	}
	return v
}

// next numbers a new purge.
func (h *history) next() Gen {
	h.gen++
	return h.gen
}

func (h *history) recordKey(key string) {
	h.keys[key] = h.next()
	h.trim()
}

func (h *history) recordTag(tag string, soft bool) {
	p := h.tags[tag]
	if soft {
		p.soft = h.next()
	} else {
		p.hard = h.next()
	}
	h.tags[tag] = p
	h.trim()
}

func (h *history) recordAll() {
	h.all = h.next()
	// Everything before it is covered by it.
	clear(h.keys)
	clear(h.tags)
}

// trim keeps the history within maxHistory: first by forgetting the purges
// older than every fetch in flight, which none can need; then, if at least
// half is still needed, by forgetting all and raising the floor. Each trim
// halves the history at least, so its cost is amortized over the purges.
func (h *history) trim() {
	if len(h.keys)+len(h.tags) <= maxHistory {
		return
	}
	oldest := h.gen
	for g := range h.live {
		oldest = min(oldest, g)
	}
	for k, g := range h.keys {
		if g <= oldest {
			delete(h.keys, k)
		}
	}
	for t, p := range h.tags {
		if p.hard <= oldest && p.soft <= oldest {
			delete(h.tags, t)
		}
	}
	if len(h.keys)+len(h.tags) > maxHistory/2 {
		h.floor = h.gen
		clear(h.keys)
		clear(h.tags)
	}
}

// primaryKey is the part of a key before its Vary values (see Key): a
// purge of a URL's primary key covers every variant, including those its
// Vary marker did not lead the purge to.
func primaryKey(key string) string {
	end := 0
	for range 4 { // method, host, path, query: the fourth '\n' ends them
		i := strings.IndexByte(key[end:], '\n')
		if i < 0 {
			return key
		}
		end += i + 1
	}
	return key[:end-1]
}
