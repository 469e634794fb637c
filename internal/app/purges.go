package app

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/purge"
	"agora/internal/store"
)

// The purge log endpoint (DESIGN.md "Purge log"): edges follow
// GET /_internal/purges?after={seq}&wait=25s with the cluster secret. The
// edge never proxies /_internal/ from its public listener; the secret is
// what keeps anyone who reaches the app directly out.
const (
	purgesPath = "/_internal/purges"
	// maxPurgeWait caps ?wait= so a poll ends well inside the public
	// server's writeTimeout (60 s).
	maxPurgeWait = 30 * time.Second
	// purgePage and purgeAnswerBytes cap one answer, by entries and by
	// the size of their tags (half the 8 MiB a follower reads, whatever
	// JSON escaping adds); a follower further behind asks again at once
	// (head tells it so).
	purgePage        = 1000
	purgeAnswerBytes = 4 << 20
	// purgePollEvery is how often a waiting poll rereads the head, for
	// entries appended by other instances; this instance's own appends wake
	// it at once (purgeLog.nudge).
	purgePollEvery = time.Second
	// purgeKeep and purgeKeepFor bound trimming: entries older than a day
	// go, but the newest thousand always stay, so an edge that was down a
	// while can usually catch up rather than drop its whole cache.
	purgeKeep    = 1000
	purgeKeepFor = 24 * time.Hour
)

// purgeLog serves the purge log and wakes waiting polls.
type purgeLog struct {
	db     *store.DB
	secret string
	now    func() time.Time
	// pollEvery is purgePollEvery; tests raise it to prove nudges wake polls.
	pollEvery time.Duration
	// waiting, if not nil, is called when a poll starts waiting (tests).
	waiting func()

	mu      sync.Mutex    // protects changed and stopped
	changed chan struct{} // closed and replaced on every nudge
	stopped chan struct{} // closed by stop: the server drains
}

func newPurgeLog(db *store.DB, secret string) *purgeLog {
	return &purgeLog{db: db, secret: secret, now: time.Now, pollEvery: purgePollEvery,
		changed: make(chan struct{}), stopped: make(chan struct{})}
}

// nudge wakes every waiting poll to reread the log. It is cheap and may be
// spurious: a woken poll that finds nothing new waits again.
func (p *purgeLog) nudge() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.changed)
	p.changed = make(chan struct{})
}

// stop ends every waiting poll (now and later) with what it has, so a
// draining server does not hold edges' polls past its shutdown timeout.
func (p *purgeLog) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stopped:
	default:
		close(p.stopped)
	}
}

func (p *purgeLog) signals() (changed, stopped <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed, p.stopped
}

// nudgeAfterWrites wraps next so that every unsafe request (RFC 9110
// §9.2.1) this instance finishes wakes waiting polls: those are the
// requests whose transactions append to the log (catalog edits, checkout,
// order status), and they have committed by the time the handler returns.
// Safe requests never append, so they cost nothing; nor do edges'
// heartbeats, which come after every purge they apply.
func (p *purgeLog) nudgeAfterWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		switch {
		case r.Method == http.MethodGet, r.Method == http.MethodHead, r.Method == http.MethodOptions, r.Method == http.MethodTrace:
		case r.URL.Path == edgesPath: // a heartbeat appends nothing
		default:
			p.nudge()
		}
	})
}

// purgesAnswer is the endpoint's JSON body.
type purgesAnswer struct {
	Head    int64        `json:"head"`
	Entries []purgeEntry `json:"entries"`
	// Gap says entries after ?after= are gone (trimmed, or the log was
	// reset under the follower): it must drop its cache and go on from Head.
	Gap bool `json:"gap"`
	// LSN is the primary's WAL position read after the entries (PostgreSQL
	// only): every entry's change is at or before it. The edge sends it
	// back with its fetches once applied (replica.go).
	LSN string `json:"lsn,omitempty"`
}

type purgeEntry struct {
	Seq  int64    `json:"seq"`
	Tags []string `json:"tags"`
	Soft bool     `json:"soft"`
}

// serve answers GET /_internal/purges. With no cluster secret configured
// the endpoint does not exist (404), so an app without edges exposes
// nothing. Without ?after= it answers the head only: an edge starting up
// begins there.
func (p *purgeLog) serve(w http.ResponseWriter, r *http.Request) {
	if !p.admit(w, r) {
		return
	}
	q := r.URL.Query()
	var after int64 = -1 // no ?after=: head only
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			purgesError(w, http.StatusBadRequest, "after must be a sequence number")
			return
		}
		after = n
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			purgesError(w, http.StatusBadRequest, "wait must be a duration such as 25s")
			return
		}
		wait = min(d, maxPurgeWait)
	}
	ans, err := p.poll(r.Context(), after, wait)
	if err == nil {
		// Read once per answer, after its entries: their commits are
		// behind it (not on every look of a waiting poll).
		var lsn store.LSN
		if lsn, err = p.db.CurrentLSN(r.Context()); lsn > 0 {
			ans.LSN = lsn.String()
		}
	}
	if err != nil {
		if r.Context().Err() == nil {
			purgesError(w, http.StatusInternalServerError, "the purge log cannot be read")
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// authorized compares the bearer token in constant time, so response
// timing does not reveal how much of a guess was right.
func (p *purgeLog) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(p.secret)) == 1
}

// poll reads the log after after, waiting up to wait for something new.
func (p *purgeLog) poll(ctx context.Context, after int64, wait time.Duration) (purgesAnswer, error) {
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	var tick <-chan time.Time
	for {
		changed, stopped := p.signals() // before reading, so no nudge is missed
		ans, err := p.read(ctx, after)
		if err != nil || after < 0 || ans.Gap || len(ans.Entries) > 0 || deadline == nil {
			return ans, err
		}
		if tick == nil {
			t := time.NewTicker(p.pollEvery)
			defer t.Stop()
			tick = t.C
			if p.waiting != nil {
				p.waiting()
			}
		}
		select {
		case <-changed:
		case <-tick:
		case <-deadline:
			return ans, nil
		case <-stopped:
			return ans, nil
		case <-ctx.Done():
			return ans, ctx.Err()
		}
	}
}

// read answers one look at the log: the bounds that decide a gap and the
// entries come from one snapshot (purge.Read). Entries are never nil, so
// the JSON says [] rather than null.
func (p *purgeLog) read(ctx context.Context, after int64) (purgesAnswer, error) {
	limit := purgePage
	if after < 0 {
		limit = 0 // head only
	}
	w, err := purge.Read(ctx, p.db, after, limit)
	if err != nil {
		return purgesAnswer{}, err
	}
	ans := purgesAnswer{Head: w.Head, Entries: []purgeEntry{}}
	if after < 0 {
		return ans, nil
	}
	// A follower past the head saw entries that no longer exist: the
	// database was restored or reset, and new seqs may reuse old ones.
	if after > 0 && (w.Oldest > after+1 || after > w.Head) {
		ans.Gap = true
		return ans, nil
	}
	size := 0
	for _, e := range w.Entries {
		for _, t := range e.Tags {
			size += len(t) + 3 // quotes and comma
		}
		if size > purgeAnswerBytes && len(ans.Entries) > 0 {
			break // the rest in the next answer
		}
		ans.Entries = append(ans.Entries, purgeEntry{Seq: e.Seq, Tags: e.Tags, Soft: e.Soft})
	}
	return ans, nil
}

// trim deletes entries older than purgeKeepFor except the newest
// purgeKeep; it is one of the app's periodic cleanups.
func (p *purgeLog) trim(ctx context.Context) (int64, error) {
	return purge.Trim(ctx, p.db, p.now().Add(-purgeKeepFor), purgeKeep)
}

// admit lets through requests carrying the cluster secret; it answers the
// others: 404 when no secret is set (the endpoint does not exist then), 401
// otherwise. Every answer is private, no-store: never cached anywhere.
func (p *purgeLog) admit(w http.ResponseWriter, r *http.Request) bool {
	cachehdr.SetPrivate(w.Header())
	if p.secret == "" {
		purgesError(w, http.StatusNotFound, "not found")
		return false
	}
	if !p.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="agora"`) // RFC 6750 §3
		purgesError(w, http.StatusUnauthorized, "the cluster secret is missing or wrong")
		return false
	}
	return true
}

func purgesError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Operators' purges go through the same log (DESIGN.md "Purge log"): an
// edge's POST /_agora/purge (and `agora purge`) posts
// {"tags":[…],"soft":bool} to POST /_internal/purges with the cluster
// secret, and every edge applies the entry as it follows the log. Tags are
// opaque here; the edge gives its reserved "agora:" tags their meaning
// (agora:all, agora:url:<absolute URL>; see edge.ApplyPurge).
const (
	// maxPurgeTags bounds one request (each tag by cachehdr.MaxTagBytes).
	maxPurgeTags = 256
	// maxPurgeEntryBytes bounds the tags of one log entry; a longer request
	// becomes several entries in one transaction. It keeps a page of
	// purgePage entries inside the follower's 8 MiB answer cap even when
	// JSON escapes every byte of a tag ("&" is "\u0026", 6 bytes).
	maxPurgeEntryBytes = 1024
	maxPurgeBodyBytes  = 1 << 20
)

// purgeAppend is the body of POST /_internal/purges.
type purgeAppend struct {
	Tags []string `json:"tags"`
	Soft bool     `json:"soft"`
}

// appendPurge answers POST /_internal/purges with 201 {"seq":N}, N the seq
// of the (last) entry appended: an edge that reports N has applied it all.
// Like the GET, it does not exist without a cluster secret. Waiting polls on
// this instance wake when it returns (nudgeAfterWrites); others within
// purgePollEvery.
func (s *Server) appendPurge(w http.ResponseWriter, r *http.Request) {
	p := s.purges
	if !p.admit(w, r) {
		return
	}
	var req purgeAppend
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPurgeBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		msg := `the body must be one JSON object such as {"tags":["product-42"],"soft":true}`
		if err != nil {
			msg += ": " + err.Error()
		}
		purgesError(w, http.StatusBadRequest, msg)
		return
	}
	if err := checkPurgeTags(req.Tags); err != nil {
		purgesError(w, http.StatusBadRequest, err.Error())
		return
	}
	seq, err := purge.AppendEntries(r.Context(), s.db, purgeEntries(req.Tags), req.Soft, p.now())
	if err != nil {
		if r.Context().Err() != nil {
			// The caller left: its purge was not appended, and it will
			// not learn otherwise; nothing on this side failed.
			s.log.DebugContext(r.Context(), "operator purge abandoned by its caller", "tags", len(req.Tags))
			return
		}
		s.log.ErrorContext(r.Context(), "operator purge not appended", "tags", len(req.Tags), "err", err)
		purgesError(w, http.StatusInternalServerError, "the purge log cannot be written")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]int64{"seq": seq})
}

// checkPurgeTags says what is wrong with tags, if anything. A tag is one
// token: the log stores tags space separated (purge.Append).
func checkPurgeTags(tags []string) error {
	switch {
	case len(tags) == 0:
		return errors.New(`tags must name at least one tag, such as {"tags":["product-42"]}`)
	case len(tags) > maxPurgeTags:
		return fmt.Errorf("%d tags: at most %d per purge, send several", len(tags), maxPurgeTags)
	}
	for _, t := range tags {
		if err := cachehdr.CheckTag(t); err != nil {
			return err
		}
	}
	return nil
}

// purgeEntries splits tags into entries of at most maxPurgeEntryBytes each
// (separators counted), keeping their order.
func purgeEntries(tags []string) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, t := range tags {
		if len(cur) > 0 && size+1+len(t) > maxPurgeEntryBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size++
		}
		cur = append(cur, t)
		size += len(t)
	}
	return append(out, cur)
}
