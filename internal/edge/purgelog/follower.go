// Package purgelog follows an app tier's purge log from the edge (DESIGN.md
// "Purge log"): it long-polls GET /_internal/purges with the cluster
// secret and hands each entry, in order and once, to the edge's cache. It
// knows nothing of the cache itself; Apply and Reset are the caller's.
package purgelog

import (
	"agora/internal/redact"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for zero Follower fields.
const (
	// DefaultWait is the long poll asked of the origin; the app caps it at 30 s.
	DefaultWait = 25 * time.Second
	// DefaultRetryMin and DefaultRetryMax bound the backoff between failed
	// polls: the first retry comes soon, a long outage costs one request
	// a half minute.
	DefaultRetryMin = time.Second
	DefaultRetryMax = 30 * time.Second
)

// requestSlack is how much longer than the long poll a request may take
// before it counts as failed (a stalled connection, not a quiet log).
const requestSlack = 10 * time.Second

// maxAnswerBytes caps an answer: 1,000 entries of a few tags fit easily.
const maxAnswerBytes = 8 << 20

// Entry is one invalidation: purge the pages tagged with any of Tags.
type Entry struct {
	Seq  int64    `json:"seq"`
	Tags []string `json:"tags"`
	Soft bool     `json:"soft"` // mark stale rather than remove
}

// Follower follows one origin's purge log. Set its fields, then call Run
// once; Applied may be called concurrently.
type Follower struct {
	// Origin is the base URL of an app instance (or of the app tier's
	// balancer), such as "http://10.0.0.5:8080".
	Origin string
	// OriginFunc, if set, gives the origin for each request instead: the
	// edge passes a live backend of its pool, so a dead first backend
	// does not silence purges (issue 10). "" falls back to Origin.
	OriginFunc func() string
	// Secret is the cluster secret, sent as a bearer token.
	Secret string
	// Client makes the requests. If nil, http.DefaultClient. It needs no
	// timeout of its own: each request is bounded by Wait plus a margin.
	// Its transport must not time out a response head sooner than Wait,
	// or every poll that finds nothing new fails.
	Client *http.Client
	// Apply is called with each entry, in seq order, once. Required
	// unless Batch is set.
	Apply func(e Entry)
	// Batch, if set, is called instead of Apply with the new entries of
	// each answer (maybe none) and the log position after them, from the
	// position the follower starts at on; it returns once they are
	// applied, and only then does Applied move. A CDN purge adapter
	// (internal/cdnpurge) batches its API calls and saves the position.
	Batch func(entries []Entry, pos int64)
	// From, if positive, is the position to resume after (a saved one);
	// entries trimmed since then are a gap, and Reset is called. 0 starts
	// at the head.
	From int64
	// Reset is called when entries were missed (a gap in the log): the
	// caller drops its whole cache. Required.
	Reset func()
	// ResetAtHead also calls Reset when the origin first gives the head:
	// a response fetched before the follower knew where the log stood may
	// predate an entry it will never apply (committed between that fetch
	// and the reading of the head), so an edge that served before its
	// follower's first answer keeps nothing of it (issue 13: a restarted
	// edge starts empty or at the head).
	ResetAtHead bool
	// Log records failures: the first of a streak at info, the rest at
	// debug, so a foreign origin (no purge log) costs one line. If nil,
	// slog.Default().
	Log *slog.Logger
	// Wait is the long poll; if 0, DefaultWait.
	Wait time.Duration
	// RetryMin and RetryMax bound the backoff after failures; if 0,
	// DefaultRetryMin and DefaultRetryMax.
	RetryMin, RetryMax time.Duration

	applied atomic.Int64 // the log position: last seq applied or skipped to
	known   atomic.Bool  // applied holds a position the origin gave
	lsn     atomic.Pointer[string]

	mu    sync.Mutex    // protects moved and tried
	moved chan struct{} // closed, and replaced, each time applied is stored
	tried chan struct{} // closed when the first request to the origin ended
}

// answer is the endpoint's JSON body.
type answer struct {
	Head    int64   `json:"head"`
	Entries []Entry `json:"entries"`
	Gap     bool    `json:"gap"`
	// LSN is the database's WAL position after the entries (PostgreSQL).
	LSN string `json:"lsn"`
}

// LSN is the database position of the last answer applied ("" before one
// or on SQLite): the edge sends it with its fetches, so that an app
// reading from a replica waits for one that has replayed what the applied
// purges were about (app/replica.go).
func (f *Follower) LSN() string {
	if p := f.lsn.Load(); p != nil {
		return *p
	}
	return ""
}

// Applied is the seq the edge has caught up to: the last entry applied,
// or the head it started from or reset to. 0 until the origin answered.
func (f *Follower) Applied() int64 { return f.applied.Load() }

// WaitApplied returns once Applied reaches seq, or ctx's error when ctx
// ends first. An operator's purge answers with it once this edge applied
// the entry it appended.
func (f *Follower) WaitApplied(ctx context.Context, seq int64) error {
	for {
		moved := f.movedChan()
		if f.Applied() >= seq {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// movedChan is the channel closed at the next store of applied.
func (f *Follower) movedChan() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.moved == nil {
		f.moved = make(chan struct{})
	}
	return f.moved
}

// Tried is closed once the follower's first request to the origin ended:
// answered and applied (Applied is then the head, and a ResetAtHead reset
// is done), or failed. An edge waits for it, briefly, before it serves,
// so what it caches first is not dropped by that reset.
func (f *Follower) Tried() <-chan struct{} { return f.triedChan() }

func (f *Follower) triedChan() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tried == nil {
		f.tried = make(chan struct{})
	}
	return f.tried
}

// setTried closes Tried's channel, once (only Run calls it).
func (f *Follower) setTried() {
	ch := f.triedChan()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// setApplied stores pos and wakes WaitApplied.
func (f *Follower) setApplied(pos int64) {
	f.applied.Store(pos)
	f.known.Store(true)
	f.mu.Lock()
	if f.moved != nil {
		close(f.moved)
		f.moved = nil
	}
	f.mu.Unlock()
}

// Run follows the log until ctx ends. It starts at the head (a starting
// edge has nothing cached to purge) and retries quietly, with backoff,
// while the origin is down or is not an Agora app.
func (f *Follower) Run(ctx context.Context) {
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	pos := int64(-1) // unknown: ask for the head
	if f.From > 0 {
		pos = f.From
	}
	failures := 0
	for ctx.Err() == nil {
		ans, err := f.fetch(ctx, pos)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.setTried()
			failures++
			level := slog.LevelDebug
			if failures == 1 {
				level = slog.LevelInfo
			}
			log.Log(ctx, level, "purgelog: cannot follow the purge log; retrying", "origin", redact.URL(f.origin()), "failures", failures, "err", err)
			if !sleep(ctx, f.backoff(failures)) {
				return
			}
			continue
		}
		if failures > 0 {
			log.Info("purgelog: following the purge log again", "origin", redact.URL(f.origin()), "failures", failures)
			failures = 0
		}
		pos = f.advance(pos, ans, log)
		if ans.LSN != "" {
			f.lsn.Store(&ans.LSN) // once applied: a fetch after it may need it
		}
		f.setApplied(pos)
		f.setTried()
	}
}

// advance applies ans to the position pos and returns the new position.
func (f *Follower) advance(pos int64, ans answer, log *slog.Logger) int64 {
	switch {
	case pos < 0:
		if f.ResetAtHead && !f.known.Load() {
			f.Reset()
		}
		if f.Batch != nil {
			f.Batch(nil, ans.Head)
		}
		return ans.Head
	case ans.Gap:
		// Logged once done: whoever reads the line (an operator, a test)
		// may rely on the cache being empty by then.
		f.Reset()
		log.Warn("purgelog: entries were missed; dropped the cache", "origin", redact.URL(f.origin()), "after", pos, "head", ans.Head)
		return ans.Head
	}
	var batch []Entry
	for _, e := range ans.Entries {
		if e.Seq <= pos { // already applied: never twice
			continue
		}
		if f.Batch != nil {
			batch = append(batch, e)
		} else {
			f.Apply(e)
		}
		pos = e.Seq
	}
	if f.Batch != nil {
		f.Batch(batch, pos)
	}
	return pos
}

// fetch asks for the entries after pos (pos < 0: the head only).
func (f *Follower) fetch(ctx context.Context, pos int64) (answer, error) {
	wait := orDefault(f.Wait, DefaultWait)
	q := url.Values{}
	if pos >= 0 {
		q.Set("after", strconv.FormatInt(pos, 10))
		q.Set("wait", wait.String())
	}
	ctx, cancel := context.WithTimeout(ctx, wait+requestSlack)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimSuffix(f.origin(), "/")+"/_internal/purges?"+q.Encode(), nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+f.Secret)
	req.Header.Set("Accept", "application/json")
	c := f.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection
		return answer{}, fmt.Errorf("purgelog: origin answered %s", res.Status)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		return answer{}, errors.New("purgelog: origin answered " + strconv.Quote(mt) + ", not JSON: not an Agora app tier?")
	}
	var ans answer
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswerBytes)).Decode(&ans); err != nil {
		return answer{}, fmt.Errorf("purgelog: bad answer: %w", err)
	}
	return ans, nil
}

// backoff is the pause after the n-th failure in a row: doubling from
// RetryMin up to RetryMax, with jitter so edges restarted together do not
// poll a recovering origin in step.
func (f *Follower) backoff(n int) time.Duration {
	lo, hi := orDefault(f.RetryMin, DefaultRetryMin), orDefault(f.RetryMax, DefaultRetryMax)
	d := lo << min(n-1, 30)
	if d <= 0 || d > hi {
		d = hi
	}
	return d/2 + rand.N(d/2+1)
}

// orDefault is d, or def when d is zero.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// origin is the base URL the next request goes to.
func (f *Follower) origin() string {
	if f.OriginFunc != nil {
		if o := f.OriginFunc(); o != "" {
			return o
		}
	}
	return f.Origin
}
