package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"agora/internal/purge"
)

// The edges that follow the purge log register here with a heartbeat
// (issue 13): POST /_internal/edges with the cluster secret, carrying the
// edge's name, the seq it applied, its start time and its interval. Any
// instance answers GET /_internal/edges?seq=N from the database: which
// live edges have applied N, and which are gone (silent for
// purge.GoneAfter intervals: shown, never waited for).
const (
	edgesPath = "/_internal/edges"
	// edgesForgetAfter is how long a gone edge stays listed.
	edgesForgetAfter = 24 * time.Hour
	// Bounds of a heartbeat's interval: a shorter one would write to the
	// database more than it tells; a longer one hides a dead edge too long.
	minEdgeHeartbeat = 10 * time.Millisecond
	maxEdgeHeartbeat = 10 * time.Minute
	maxEdgeNameBytes = 200
)

// edgeHeartbeat is the body of POST /_internal/edges.
type edgeHeartbeat struct {
	Name        string    `json:"name"`
	Applied     int64     `json:"applied"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatMS int64     `json:"heartbeat_ms"`
}

// networkAnswer is the JSON body of both GET and POST /_internal/edges.
type networkAnswer struct {
	// Head is the newest seq in the log; Seq the one asked about (Head
	// unless ?seq= said otherwise).
	Head int64 `json:"head"`
	Seq  int64 `json:"seq"`
	// Converged says every live edge has applied Seq; Pending names the
	// live edges that have not.
	Converged bool          `json:"converged"`
	Pending   []string      `json:"pending"`
	Edges     []networkEdge `json:"edges"`
}

type networkEdge struct {
	Name    string `json:"name"`
	Applied int64  `json:"applied"`
	// Lag is how many seqs the edge is behind the head.
	Lag         int64     `json:"lag"`
	State       string    `json:"state"` // "live" or "gone"
	HasApplied  bool      `json:"has_applied"`
	StartedAt   time.Time `json:"started_at"`
	LastSeen    time.Time `json:"last_seen"`
	SeenAgoMS   int64     `json:"seen_ago_ms"`
	HeartbeatMS int64     `json:"heartbeat_ms"`
}

// heartbeat answers POST /_internal/edges: it records the edge's report
// and answers the network as GET does, so every edge can show its peers
// on its status page without asking again.
func (p *purgeLog) heartbeat(w http.ResponseWriter, r *http.Request) {
	if !p.admit(w, r) {
		return
	}
	var hb edgeHeartbeat
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hb); err != nil || dec.More() {
		purgesError(w, http.StatusBadRequest, `the body must be one JSON object such as {"name":"pop-1","applied":42,"started_at":"2026-01-02T03:04:05Z","heartbeat_ms":5000}`)
		return
	}
	every := time.Duration(hb.HeartbeatMS) * time.Millisecond
	switch {
	case hb.Name == "" || len(hb.Name) > maxEdgeNameBytes:
		purgesError(w, http.StatusBadRequest, "name must be 1 to 200 bytes")
		return
	case hb.Applied < 0:
		purgesError(w, http.StatusBadRequest, "applied must be a sequence number")
		return
	case every < minEdgeHeartbeat || every > maxEdgeHeartbeat:
		purgesError(w, http.StatusBadRequest, "heartbeat_ms must be between 10 and 600000")
		return
	}
	err := purge.Heartbeat(r.Context(), p.db, purge.Edge{Name: hb.Name, Applied: hb.Applied,
		StartedAt: hb.StartedAt, LastSeen: p.now(), Every: every})
	if err != nil {
		if r.Context().Err() == nil {
			purgesError(w, http.StatusInternalServerError, "the heartbeat cannot be recorded")
		}
		return
	}
	p.answerNetwork(w, r, -1)
}

// network answers GET /_internal/edges[?seq=N].
func (p *purgeLog) network(w http.ResponseWriter, r *http.Request) {
	if !p.admit(w, r) {
		return
	}
	seq := int64(-1) // the head
	if v := r.URL.Query().Get("seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			purgesError(w, http.StatusBadRequest, "seq must be a sequence number")
			return
		}
		seq = n
	}
	p.answerNetwork(w, r, seq)
}

func (p *purgeLog) answerNetwork(w http.ResponseWriter, r *http.Request, seq int64) {
	ans, err := p.networkAt(r.Context(), seq)
	if err != nil {
		if r.Context().Err() == nil {
			purgesError(w, http.StatusInternalServerError, "the edges cannot be read")
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ans)
}

// networkAt says which edges have applied seq (seq < 0: the head).
func (p *purgeLog) networkAt(ctx context.Context, seq int64) (networkAnswer, error) {
	win, err := purge.Read(ctx, p.db, 0, 0)
	if err != nil {
		return networkAnswer{}, err
	}
	edges, err := purge.Edges(ctx, p.db)
	if err != nil {
		return networkAnswer{}, err
	}
	if seq < 0 {
		seq = win.Head
	}
	now := p.now()
	ans := networkAnswer{Head: win.Head, Seq: seq, Converged: true, Pending: []string{}, Edges: []networkEdge{}}
	for _, e := range edges {
		ne := networkEdge{Name: e.Name, Applied: e.Applied, Lag: max(win.Head-e.Applied, 0), State: "live",
			HasApplied: e.Applied >= seq, StartedAt: e.StartedAt, LastSeen: e.LastSeen,
			SeenAgoMS: now.Sub(e.LastSeen).Milliseconds(), HeartbeatMS: e.Every.Milliseconds()}
		if e.Gone(now) {
			ne.State = "gone"
		} else if !ne.HasApplied {
			ans.Converged = false
			ans.Pending = append(ans.Pending, e.Name)
		}
		ans.Edges = append(ans.Edges, ne)
	}
	return ans, nil
}

// forgetEdges deletes edges gone for edgesForgetAfter; it is one of the
// app's periodic cleanups.
func (p *purgeLog) forgetEdges(ctx context.Context) (int64, error) {
	return purge.ForgetEdges(ctx, p.db, p.now().Add(-edgesForgetAfter))
}

// listen wakes waiting polls whenever any process appends to the log, on
// PostgreSQL (purge.NotifyChannel), until ctx ends; the 1 s reread stays
// the fallback while the listening connection is down. On SQLite it
// returns at once: one machine, and this process's own appends wake its
// polls already (nudgeAfterWrites).
func (p *purgeLog) listen(ctx context.Context, log *slog.Logger) {
	down := false
	err := p.db.Listen(ctx, purge.NotifyChannel, func() {
		if down {
			log.Info("listening for purge log appends again")
			down = false
		}
		p.nudge()
	}, func(err error) {
		if !down {
			log.Warn("not listening for purge log appends; edges hear of other instances' purges within a second", "err", err)
		}
		down = true
	})
	_ = err // ErrNoListen on SQLite, or ctx's error
}
