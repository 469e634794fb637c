package purgelog

import (
	"context"
	"testing"
)

// TestWaitApplied: a waiter wakes when the position it waits for is
// stored, not before, and gives up with its context.
func TestWaitApplied(t *testing.T) {
	var f Follower
	done := make(chan error, 1)
	go func() { done <- f.WaitApplied(context.Background(), 5) }()
	f.setApplied(4)
	select {
	case err := <-done:
		t.Fatalf("woke at 4 waiting for 5: %v", err)
	default:
	}
	f.setApplied(5)
	if err := <-done; err != nil {
		t.Fatalf("WaitApplied(5) after 5: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.WaitApplied(ctx, 6); err != context.Canceled {
		t.Errorf("WaitApplied with an ended context: %v, want context.Canceled", err)
	}
}
