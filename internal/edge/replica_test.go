package edge

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"agora/internal/edge/purgelog"
)

// TestFetchesCarryThePurgeLSN: the edge sends the app the database
// position of the last purge log answer it applied, on fetches and passed
// through requests alike, so an app reading a replica picks one that has
// replayed the purged changes; a client's own Agora-Purge-LSN never gets
// through.
func TestFetchesCarryThePurgeLSN(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_internal/purges" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"head":3,"entries":[],"gap":false,"lsn":"1/A0B0C0D0"}`)
			return
		}
		mu.Lock()
		seen = append(seen, r.Header.Get(purgeLSNField))
		mu.Unlock()
		w.Header().Set("Cache-Control", "public, s-maxage=60")
		io.WriteString(w, "page")
	})
	forged := http.Header{}
	forged.Set(purgeLSNField, "FFFF/FFFFFFFF") // as a client's, read off the wire

	plain, _ := newEdge(t, o.URL) // no follower: nothing to say, and the client's dropped
	do(plain, "GET", "http://shop.test/a", forged)

	e, _ := newEdge(t, o.URL)
	e.Follower = &purgelog.Follower{Origin: o.URL, Secret: "s", Apply: e.ApplyPurge, Reset: e.ResetPurges}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Follower.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-e.Follower.Tried() // the first answer is applied
	do(e, "GET", "http://shop.test/b", forged)
	do(e, "POST", "http://shop.test/cart/items", forged)

	mu.Lock()
	defer mu.Unlock()
	want := []string{"", "1/A0B0C0D0", "1/A0B0C0D0"}
	if len(seen) != len(want) {
		t.Fatalf("the app saw %q, want %q", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d carried %s %q, want %q", i, purgeLSNField, seen[i], want[i])
		}
	}
}
