package purge_test

import (
	"context"
	"testing"
	"time"

	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestEdgesHeartbeat: an edge registers with its first heartbeat, the next
// one moves it on (a restart too, with its new start time), it counts as
// gone after GoneAfter silent intervals, and is forgotten long after.
func TestEdgesHeartbeat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		beat := func(name string, applied int64, started, seen time.Time) {
			t.Helper()
			if err := purge.Heartbeat(ctx, db, purge.Edge{Name: name, Applied: applied, StartedAt: started, LastSeen: seen, Every: time.Second}); err != nil {
				t.Fatal(err)
			}
		}
		beat("pop-b", 3, t0, t0)
		beat("pop-a", 5, t0, t0)
		beat("pop-b", 7, t0.Add(time.Minute), t0.Add(time.Minute)) // restarted
		es, err := purge.Edges(ctx, db)
		if err != nil || len(es) != 2 {
			t.Fatalf("Edges: %+v, %v; want two", es, err)
		}
		a, b := es[0], es[1]
		if a.Name != "pop-a" || a.Applied != 5 || b.Name != "pop-b" || b.Applied != 7 || !b.StartedAt.Equal(t0.Add(time.Minute)) || b.Every != time.Second {
			t.Errorf("Edges: %+v, want pop-a at 5, pop-b at 7 restarted a minute later", es)
		}
		now := t0.Add(time.Minute + purge.GoneAfter*time.Second)
		if a.Gone(t0.Add(purge.GoneAfter*time.Second)) || !a.Gone(now) || b.Gone(now) {
			t.Errorf("gone: pop-a at %d intervals %v (want live), later %v (want gone); pop-b %v (want live)",
				purge.GoneAfter, a.Gone(t0.Add(purge.GoneAfter*time.Second)), a.Gone(now), b.Gone(now))
		}
		if err := purge.Heartbeat(ctx, db, purge.Edge{Applied: 1, Every: time.Second}); err == nil {
			t.Error("a heartbeat without a name was taken")
		}
		if n, err := purge.ForgetEdges(ctx, db, t0.Add(30*time.Second)); err != nil || n != 1 {
			t.Errorf("ForgetEdges: %d, %v; want pop-a forgotten", n, err)
		}
		if es, _ := purge.Edges(ctx, db); len(es) != 1 || es[0].Name != "pop-b" {
			t.Errorf("after ForgetEdges: %+v, want pop-b alone", es)
		}
	})
}

// TestAppendNotifiesAtCommit: on PostgreSQL a listener hears of an append
// when its transaction commits (issue 13); on SQLite
// Listen says there is nothing to listen to.
func TestAppendNotifiesAtCommit(t *testing.T) {
	if err := storetest.Open(t, store.SQLite).Listen(context.Background(), purge.NotifyChannel, func() {}, nil); err != store.ErrNoListen {
		t.Errorf("Listen on SQLite: %v, want ErrNoListen", err)
	}
	db := storetest.Open(t, store.Postgres)
	ctx, cancel := context.WithCancel(context.Background())
	notes := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- db.Listen(ctx, purge.NotifyChannel, func() { notes <- struct{}{} }, nil) }()
	defer func() { cancel(); <-done }()
	<-notes // the one after connecting

	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := purge.AppendSeq(ctx, tx, db.Dialect, []string{"product-1"}, false, t0); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-notes:
	case <-time.After(10 * time.Second): // a failsafe
		t.Fatal("no notification 10 s after the append committed")
	}
}
