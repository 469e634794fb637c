package balance

import (
	"context"
	"errors"
	"testing"
)

// TestAcquireLimit: over MaxInFlight a request waits in a queue of
// MaxQueue for QueueTimeout, and gets ErrOverloaded past either.
func TestAcquireLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// end decides how the queued Acquire ends: a slot freed, the
		// timeout fired, or the caller gone.
		end  func(b *Backend, tm timer, cancel context.CancelFunc)
		want error
	}{
		{"slot freed", func(b *Backend, _ timer, _ context.CancelFunc) { b.Release(Result{}) }, nil},
		{"queue timeout", func(_ *Backend, tm timer, _ context.CancelFunc) { tm.c <- t0 }, ErrOverloaded},
		{"caller gone", func(_ *Backend, _ timer, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fa := newFakeAfter()
			p, _ := testPool(t, Config{MaxInFlight: 2, MaxQueue: 1, After: fa.After})
			p.Set(urls(t, abcd[0]))
			b := p.Members()[0]
			for range 2 {
				if err := b.Acquire(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			queued := make(chan error)
			go func() { queued <- b.Acquire(ctx) }()
			tm := <-fa // the third waits in the queue
			if tm.d != p.cfg.QueueTimeout {
				t.Errorf("queue timeout %v, want %v", tm.d, p.cfg.QueueTimeout)
			}
			if err := b.Acquire(context.Background()); !errors.Is(err, ErrOverloaded) {
				t.Errorf("fourth with the queue full: %v, want ErrOverloaded", err)
			}
			tc.end(b, tm, cancel)
			if err := <-queued; !errors.Is(err, tc.want) {
				t.Fatalf("queued Acquire: %v, want %v", err, tc.want)
			}
			// Two either way: when a slot was freed, the queued one took it.
			if got, q := b.InFlight(), b.queued.Load(); got != 2 || q != 0 {
				t.Errorf("in flight %d, queued %d; want 2, 0", got, q)
			}
		})
	}
}
