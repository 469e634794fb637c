package balance

import (
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	t.Parallel()
	// Every latency falls in a bucket whose top is at or above it and at
	// most 25% (one sub-bucket) above it.
	for _, us := range []uint64{0, 1, 3, 4, 5, 7, 8, 100, 999, 1000, 1023, 1024, 123456, 5e6, 1e9} {
		b := bucketOf(us)
		top := uint64(bucketTop(b) / time.Microsecond)
		if top < us || (us >= 4 && float64(top) > float64(us)*1.25) {
			t.Errorf("%d µs: bucket %d tops at %d µs", us, b, top)
		}
		if b > 0 && uint64(bucketTop(b-1)/time.Microsecond) >= us {
			t.Errorf("%d µs: bucket %d but the one below tops at %v", us, b, bucketTop(b-1))
		}
	}
}

func TestLatencySummary(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		fill          func(l *latency)
		at            time.Time
		n             uint64
		p50, p95, p99 time.Duration // within 25% above
	}{
		{"empty", func(*latency) {}, t0, 0, 0, 0, 0},
		{"one to a hundred ms", func(l *latency) {
			for i := 1; i <= 100; i++ {
				l.record(t0.Add(time.Duration(i)*100*time.Millisecond), time.Duration(i)*time.Millisecond, false)
			}
		}, t0.Add(11 * time.Second), 100, 50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond},
		{"old slots forgotten", func(l *latency) {
			for i := range 50 {
				l.record(t0.Add(time.Duration(i)*time.Millisecond), time.Second, false)
			}
			for i := range 50 {
				l.record(t0.Add(45*time.Second+time.Duration(i)*time.Millisecond), time.Millisecond, false)
			}
		}, t0.Add(65 * time.Second), 50, time.Millisecond, time.Millisecond, time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l latency
			tc.fill(&l)
			n, p50, p95, p99 := l.summary(tc.at)
			if n != tc.n {
				t.Fatalf("n = %d, want %d", n, tc.n)
			}
			for _, c := range []struct{ got, want time.Duration }{{p50, tc.p50}, {p95, tc.p95}, {p99, tc.p99}} {
				if c.got < c.want || float64(c.got) > float64(c.want)*1.25 {
					t.Errorf("percentile %v, want %v (up to 25%% more)", c.got, c.want)
				}
			}
		})
	}
}

func TestPeakEWMA(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var l latency
	if _, ok := l.estimate(t0); ok {
		t.Fatal("an estimate before any sample")
	}
	l.record(t0, 10*time.Millisecond, false)
	l.record(t0, 300*time.Millisecond, false) // one slow answer: a spike, not a peak
	if e, _ := l.estimate(t0); e != float64(10*time.Millisecond) {
		t.Fatalf("after one slow answer: %v", time.Duration(e))
	}
	l.record(t0, 300*time.Millisecond, false) // a second in a row replaces the estimate at once
	if e, _ := l.estimate(t0); e != float64(300*time.Millisecond) {
		t.Fatalf("after a peak: %v", time.Duration(e))
	}
	var f latency
	f.record(t0, 10*time.Millisecond, false)
	f.record(t0, time.Millisecond, true) // a failure peaks at once, at the penalty
	if e, _ := f.estimate(t0); e != float64(failurePenalty) {
		t.Fatalf("after a failure: %v", time.Duration(e))
	}
	// Idle for one decay constant: down to 1/e of it.
	e, _ := l.estimate(t0.Add(decay))
	if want := float64(300*time.Millisecond) / 2.718281828; e < want*0.99 || e > want*1.01 {
		t.Fatalf("after %v idle: %v, want about %v", decay, time.Duration(e), time.Duration(want))
	}
}
