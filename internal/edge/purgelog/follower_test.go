package purgelog_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/app"
	"agora/internal/catalog"
	"agora/internal/edge/purgelog"
	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const secret = "cluster-secret"

// origin is a real app tier on loopback, with a switch to play a down or
// foreign origin, reporting each purge log request it gets.
type origin struct {
	db    *store.DB
	http  *httptest.Server
	mode  atomic.Value // "up", "down" (connection dropped), "foreign" (HTML 404)
	polls chan url.Values
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	srv, err := app.New(app.Config{ClusterSecret: secret}, app.Deps{DB: db, Catalog: catalog.New(db),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{db: db, polls: make(chan url.Values, 1000)}
	o.mode.Store("up")
	o.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_internal/purges" {
			o.polls <- r.URL.Query()
		}
		switch o.mode.Load() {
		case "down":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		case "foreign":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<h1>Not Found</h1>")
		default:
			srv.Handler().ServeHTTP(w, r)
		}
	}))
	t.Cleanup(o.http.Close)
	t.Cleanup(o.http.Client().CloseIdleConnections)
	return o
}

// change runs fn in a transaction, then nudges the app's waiting polls
// with an unsafe request, as an admin edit that appended would.
func (o *origin) change(t *testing.T, fn func(tx *sql.Tx) error) {
	t.Helper()
	if err := o.db.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
	res, err := o.http.Client().Post(o.http.URL+"/nudge", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func (o *origin) append(t *testing.T, tags ...string) {
	t.Helper()
	o.change(t, func(tx *sql.Tx) error {
		return purge.Append(context.Background(), tx, o.db.Dialect, tags, false, time.Now())
	})
}

// waitPoll blocks until the follower long-polls after seq.
func (o *origin) waitPoll(t *testing.T, after string) {
	t.Helper()
	for q := range o.polls {
		if q.Get("after") == after && q.Get("wait") != "" {
			return
		}
	}
}

// running follows o until the test ends; applied and resets report calls.
type running struct {
	f       *purgelog.Follower
	applied chan purgelog.Entry
	resets  chan struct{}
	done    chan struct{}
	cancel  context.CancelFunc
}

func follow(t *testing.T, o *origin) *running {
	t.Helper()
	r := &running{applied: make(chan purgelog.Entry, 100), resets: make(chan struct{}, 10), done: make(chan struct{})}
	r.f = &purgelog.Follower{Origin: o.http.URL, Secret: secret, Client: o.http.Client(),
		Apply: func(e purgelog.Entry) { r.applied <- e }, Reset: func() { r.resets <- struct{}{} },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); r.f.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.cancel()
	<-r.done
}

func TestFollowerAppliesInOrderOnce(t *testing.T) {
	o := newOrigin(t)
	o.append(t, "before-start") // seq 1: the follower starts past it
	r := follow(t, o)
	o.waitPoll(t, "1")
	o.append(t, "product-1")
	o.append(t, "product-2", "home")
	o.append(t, "product-3")
	var got []int64
	for range 3 {
		got = append(got, (<-r.applied).Seq)
	}
	o.waitPoll(t, "4") // caught up and waiting again
	r.stop()
	if !slices.Equal(got, []int64{2, 3, 4}) {
		t.Errorf("applied seqs %v, want [2 3 4]", got)
	}
	if len(r.applied) != 0 || len(r.resets) != 0 {
		t.Errorf("%d more applied, %d resets; want none", len(r.applied), len(r.resets))
	}
	if r.f.Applied() != 4 {
		t.Errorf("Applied() = %d, want 4", r.f.Applied())
	}
}

func TestFollowerResetsOnGap(t *testing.T) {
	// The change below may commit while the app reads for the poll after=2
	// (waitPoll sees the request before the app reads): each look at the
	// log must be one snapshot, or the follower gets seq 4 as the next
	// entry and never hears of the gap (issue 5).
	o := newOrigin(t)
	o.append(t, "a")
	o.append(t, "b")
	r := follow(t, o)
	o.waitPoll(t, "2")
	// Seq 3 is trimmed before the follower read it: a gap.
	o.change(t, func(tx *sql.Tx) error {
		for _, tag := range []string{"c", "d"} {
			if err := purge.Append(context.Background(), tx, o.db.Dialect, []string{tag}, false, time.Now()); err != nil {
				return err
			}
		}
		_, err := tx.Exec("DELETE FROM purge_log WHERE seq <= 3")
		return err
	})
	<-r.resets
	o.waitPoll(t, "4") // goes on from the head
	o.append(t, "e")
	if e := <-r.applied; e.Seq != 5 || !slices.Equal(e.Tags, []string{"e"}) {
		t.Errorf("applied %+v after the reset, want seq 5 (e)", e)
	}
	r.stop()
	if len(r.applied) != 0 {
		t.Errorf("entries inside the gap were applied: %d", len(r.applied))
	}
}

func TestFollowerRetriesUntilOriginWorks(t *testing.T) {
	for _, mode := range []string{"down", "foreign"} {
		t.Run(mode, func(t *testing.T) {
			o := newOrigin(t)
			o.append(t, "a")
			o.mode.Store(mode)
			r := follow(t, o)
			for range 3 { // failed attempts, retried
				<-o.polls
			}
			o.mode.Store("up")
			o.waitPoll(t, "1")
			o.append(t, "b")
			if e := <-r.applied; e.Seq != 2 {
				t.Errorf("applied %+v after recovery, want seq 2", e)
			}
		})
	}
}

func TestFollowerStopsWithContext(t *testing.T) {
	for _, mode := range []string{"up", "down"} { // waiting in a long poll; in a backoff
		t.Run(mode, func(t *testing.T) {
			o := newOrigin(t)
			o.mode.Store(mode)
			r := follow(t, o)
			if mode == "up" {
				o.waitPoll(t, "0")
			} else {
				<-o.polls
			}
			r.stop() // returns only when Run has; goleak checks the rest
		})
	}
}

// TestFollowerLogHidesOriginPassword (issue 9, item 11): the origin may
// carry credentials (--backends http://user:password@…); the log of a
// failing follower names the origin without them.
func TestFollowerLogHidesOriginPassword(t *testing.T) {
	o := newOrigin(t)
	o.mode.Store("down")
	var logged bytes.Buffer
	var mu sync.Mutex // protects logged, written by Run's goroutine
	u, _ := url.Parse(o.http.URL)
	u.User = url.UserPassword("ops", "hunter2")
	f := &purgelog.Follower{Origin: u.String(), Secret: secret, Client: o.http.Client(),
		Apply: func(purgelog.Entry) {}, Reset: func() {},
		Log:      slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil)),
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	for range 3 {
		<-o.polls
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "cannot follow") {
		t.Fatalf("no failure logged: %s", logged.String())
	}
	if strings.Contains(logged.String(), "hunter2") {
		t.Errorf("the log shows the origin's password: %s", logged.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestFollowerAsksOriginFunc: the follower asks the origin OriginFunc
// gives each time, so the edge can point it away from a dead backend
// (issue 10: it always asked the first).
func TestFollowerAsksOriginFunc(t *testing.T) {
	o := newOrigin(t)
	applied := make(chan purgelog.Entry, 10)
	f := &purgelog.Follower{Origin: "http://127.0.0.1:1", OriginFunc: func() string { return o.http.URL },
		Secret: secret, Client: o.http.Client(),
		Apply: func(e purgelog.Entry) { applied <- e }, Reset: func() {},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	o.waitPoll(t, "0")
	o.append(t, "product-1")
	if e := <-applied; e.Seq != 1 {
		t.Errorf("applied seq %d, want 1", e.Seq)
	}
}

// TestFollowerResetsAtHead: with ResetAtHead, what the edge stored before
// its follower first heard the head is dropped then, once (issue 13); the
// follower's later answers reset nothing.
func TestFollowerResetsAtHead(t *testing.T) {
	o := newOrigin(t)
	o.append(t, "before-start")
	resets := make(chan struct{}, 10)
	f := &purgelog.Follower{Origin: o.http.URL, Secret: secret, Client: o.http.Client(), ResetAtHead: true,
		Apply: func(purgelog.Entry) {}, Reset: func() { resets <- struct{}{} },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	o.waitPoll(t, "1")
	o.append(t, "product-1")
	o.waitPoll(t, "2")
	if n := len(resets); n != 1 {
		t.Errorf("%d resets after the head and one entry, want 1 (at the head)", n)
	}
}

// TestFollowerTried: Tried closes once the first request ended — after
// the head is applied and the ResetAtHead reset is done, or after a
// failure — so an edge that waits for it before serving keeps what it
// caches first.
func TestFollowerTried(t *testing.T) {
	for _, mode := range []string{"up", "down", "foreign"} {
		t.Run(mode, func(t *testing.T) {
			o := newOrigin(t)
			o.append(t, "before-start")
			o.mode.Store(mode)
			var resets atomic.Int32
			f := &purgelog.Follower{Origin: o.http.URL, Secret: secret, Client: o.http.Client(), ResetAtHead: true,
				Apply: func(purgelog.Entry) {}, Reset: func() { resets.Add(1) },
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: time.Hour, RetryMax: time.Hour}
			tried := f.Tried()
			select {
			case <-tried:
				t.Fatal("Tried is closed before Run asked anything")
			default:
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); f.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-tried
			if mode == "up" && (f.Applied() != 1 || resets.Load() != 1) {
				t.Errorf("at Tried: applied %d, %d resets; want the head (1) and the reset done", f.Applied(), resets.Load())
			}
			if mode != "up" && resets.Load() != 0 {
				t.Errorf("%d resets after a failed first request, want 0", resets.Load())
			}
		})
	}
}

// TestFollowerBatchResumesFrom: with From, a follower resumes after a
// saved position and hands over the entries since, in one Batch per
// answer with the position after them; its first call, from the head,
// has no entries (a CDN purge adapter, internal/cdnpurge).
func TestFollowerBatchResumesFrom(t *testing.T) {
	o := newOrigin(t)
	o.append(t, "product-1") // seq 1: purged before the restart
	o.append(t, "product-2") // seq 2, 3: missed while down
	o.append(t, "product-3", "home")
	type batch struct {
		seqs []int64
		pos  int64
	}
	batches := make(chan batch, 100)
	f := &purgelog.Follower{Origin: o.http.URL, Secret: secret, Client: o.http.Client(), From: 1,
		Batch: func(es []purgelog.Entry, pos int64) {
			var seqs []int64
			for _, e := range es {
				seqs = append(seqs, e.Seq)
			}
			batches <- batch{seqs, pos}
		},
		Reset: func() { t.Error("reset without a gap") },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)), RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	b := <-batches
	if !slices.Equal(b.seqs, []int64{2, 3}) || b.pos != 3 {
		t.Errorf("first batch after From=1: seqs %v pos %d, want [2 3] at 3", b.seqs, b.pos)
	}
	o.waitPoll(t, "3")
	if f.Applied() != 3 {
		t.Errorf("Applied() = %d after the batch returned, want 3", f.Applied())
	}
}
