package purgelog_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"agora/internal/edge/purgelog"
)

// TestHeartbeatReportsApplied: an edge's heartbeat registers it with the
// app tier under its name and reports each purge it applies, without
// waiting for the interval (issue 13); the app tier's answer is the
// network as every app instance sees it.
func TestHeartbeatReportsApplied(t *testing.T) {
	o := newOrigin(t)
	o.append(t, "before-start")
	r := follow(t, o)
	h := &purgelog.Heartbeat{Follower: r.f, Name: "pop-test", Started: time.Now(), Every: 5 * time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	defer func() { cancel(); <-done }()

	o.waitPoll(t, "1")
	o.append(t, "product-1")
	<-r.applied
	// The heartbeat after the move, not the next periodic one, reports seq 2.
	deadline := time.Now().Add(10 * time.Second) // a failsafe: each turn is a real check
	for {
		n := h.Last()
		if n != nil && len(n.Edges) == 1 && n.Edges[0].Applied == 2 {
			e := n.Edges[0]
			if e.Name != "pop-test" || e.State != "live" || !e.HasApplied || e.Lag != 0 || n.Head != 2 || !n.Converged {
				t.Errorf("network after the purge: %+v", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat reported seq 2 within 10 s: last answer %+v", n)
		}
		time.Sleep(5 * time.Millisecond) // the poll's pace, not a synchronization
	}
	n, err := h.Network(ctx, 3)
	if err != nil || n.Converged || len(n.Pending) != 1 || n.Pending[0] != "pop-test" {
		t.Errorf("Network(3): %+v, %v; want pop-test pending", n, err)
	}
}
