package store

import (
	"testing"
	"time"
)

// TestWALHistoryLag: lag is how long ago the primary first passed the
// replica's position, known only when a sample shows where it was before.
func TestWALHistoryLag(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	h := walHistory{keep: 10 * time.Second}
	if lag, known := h.lag(t0, 5); lag != 0 || known {
		t.Errorf("no samples: lag %v known %v, want 0 unknown", lag, known)
	}
	for i, lsn := range []LSN{100, 100, 200, 300} { // a sample a second
		h.add(t0.Add(time.Duration(i)*time.Second), lsn)
	}
	now := t0.Add(4 * time.Second)
	for _, c := range []struct {
		replay LSN
		lag    time.Duration
		known  bool
	}{
		{300, 0, true},               // caught up
		{400, 0, true},               // ahead of the last sample
		{250, time.Second, true},     // 300 was reached 1 s ago
		{200, time.Second, true},     // at 200: its next position, 300
		{150, 2 * time.Second, true}, // 200 was reached 2 s ago
		{50, 4 * time.Second, false}, // behind every sample: at least 4 s
	} {
		lag, known := h.lag(now, c.replay)
		if lag != c.lag || known != c.known {
			t.Errorf("replay %v: lag %v known %v; want %v %v", c.replay, lag, known, c.lag, c.known)
		}
	}
	// Samples older than keep go, but never the newest.
	h.add(t0.Add(30*time.Second), 300)
	if len(h.samples) != 1 {
		t.Errorf("after 30 s, %d samples kept, want the newest only", len(h.samples))
	}
}
