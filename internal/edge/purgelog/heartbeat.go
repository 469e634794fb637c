package purgelog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"agora/internal/redact"
)

// DefaultHeartbeat is a Heartbeat's interval when Every is 0. The app
// tier counts an edge silent for three intervals as gone.
const DefaultHeartbeat = 5 * time.Second

// heartbeatTimeout bounds one heartbeat or network request.
const heartbeatTimeout = 5 * time.Second

// Heartbeat registers an edge with the app tier and keeps reporting the
// seq its Follower applied (issue 13): POST /_internal/edges every Every
// and at once after each move of the follower, so the app tier can say
// which live edges have applied a purge while the operator waits for it.
// Set its fields, then call Run once; Last and Network may be called
// concurrently.
type Heartbeat struct {
	// Follower is the edge's follower: its origin, secret, client and
	// Applied are the heartbeat's. Required.
	Follower *Follower
	// Name is the edge's stable name: the same after a restart, unique
	// among the edges of one store. Required.
	Name string
	// Started is when the edge process started: a new value tells the
	// operator the edge restarted (with an empty cache).
	Started time.Time
	// Every is the interval; if 0, DefaultHeartbeat.
	Every time.Duration
	// Log records failures, the first of a streak at info; if nil,
	// slog.Default().
	Log *slog.Logger

	mu   sync.Mutex // protects last
	last *Network   // the app tier's answer to the last heartbeat
}

// Network is the app tier's view of the edges that follow the log
// (internal/app/edges.go, GET /_internal/edges).
type Network struct {
	// Head is the newest seq in the log; Seq the one asked about.
	Head int64 `json:"head"`
	Seq  int64 `json:"seq"`
	// Converged says every live edge has applied Seq; Pending names the
	// live edges that have not.
	Converged bool          `json:"converged"`
	Pending   []string      `json:"pending"`
	Edges     []NetworkEdge `json:"edges"`
	// FetchedAt is when this edge got the answer.
	FetchedAt time.Time `json:"fetched_at"`
}

// NetworkEdge is one edge as the app tier last heard from it.
type NetworkEdge struct {
	Name    string `json:"name"`
	Applied int64  `json:"applied"`
	Lag     int64  `json:"lag"`   // seqs behind the head
	State   string `json:"state"` // "live", or "gone" (silent for three intervals)
	// HasApplied says Applied is at least the Seq asked about.
	HasApplied  bool      `json:"has_applied"`
	StartedAt   time.Time `json:"started_at"`
	LastSeen    time.Time `json:"last_seen"`
	SeenAgoMS   int64     `json:"seen_ago_ms"`
	HeartbeatMS int64     `json:"heartbeat_ms"`
}

// Run sends heartbeats until ctx ends, once the follower knows its
// position (before, there is nothing to report).
func (h *Heartbeat) Run(ctx context.Context) {
	t := time.NewTicker(orDefault(h.Every, DefaultHeartbeat))
	defer t.Stop()
	failures := 0
	for {
		moved := h.Follower.movedChan() // before sending, so no move is missed
		if h.Follower.known.Load() {
			if err := h.send(ctx); err != nil && ctx.Err() == nil {
				failures++
				h.logFailure(failures, err)
			} else if err == nil {
				failures = 0
			}
		}
		select {
		case <-moved:
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

func (h *Heartbeat) logFailure(n int, err error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelDebug
	if n == 1 {
		level = slog.LevelInfo
	}
	log.Log(context.Background(), level, "purgelog: heartbeat not taken; retrying", "origin", redact.URL(h.Follower.origin()), "failures", n, "err", err)
}

// Last is the app tier's answer to the last heartbeat that got one, or
// nil.
func (h *Heartbeat) Last() *Network {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// send reports the follower's position and keeps the answer.
func (h *Heartbeat) send(ctx context.Context) error {
	body, err := json.Marshal(map[string]any{
		"name": h.Name, "applied": h.Follower.Applied(), "started_at": h.Started.UTC(),
		"heartbeat_ms": orDefault(h.Every, DefaultHeartbeat).Milliseconds(),
	})
	if err != nil {
		return err
	}
	n, err := h.call(ctx, http.MethodPost, "", body)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.last = &n
	h.mu.Unlock()
	return nil
}

// Network asks the app tier which edges have applied seq (seq < 0: the
// head).
func (h *Heartbeat) Network(ctx context.Context, seq int64) (Network, error) {
	q := ""
	if seq >= 0 {
		q = "?seq=" + strconv.FormatInt(seq, 10)
	}
	return h.call(ctx, http.MethodGet, q, nil)
}

// call does one request to /_internal/edges and decodes the answer.
func (h *Heartbeat) call(ctx context.Context, method, query string, body []byte) (Network, error) {
	f := h.Follower
	ctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(f.origin(), "/")+"/_internal/edges"+query, bytes.NewReader(body))
	if err != nil {
		return Network{}, err
	}
	req.Header.Set("Authorization", "Bearer "+f.Secret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := f.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return Network{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&e)
		return Network{}, fmt.Errorf("purgelog: origin answered %s to %s /_internal/edges: %q", res.Status, method, e.Error)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		return Network{}, fmt.Errorf("purgelog: origin answered %q, not JSON: an app tier older than edge heartbeats?", mt)
	}
	var n Network
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswerBytes)).Decode(&n); err != nil {
		return Network{}, fmt.Errorf("purgelog: bad answer: %w", err)
	}
	n.FetchedAt = time.Now()
	return n, nil
}
