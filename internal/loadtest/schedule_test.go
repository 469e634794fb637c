package loadtest

import (
	"testing"
	"time"
)

// TestSchedulePlansRateTimesDuration: the plan holds ⌊rate × duration⌋
// requests, evenly spaced from 1/rate, never after the end.
func TestSchedulePlansRateTimesDuration(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rate int
		d    time.Duration
		want int
	}{
		{20, 2 * time.Second, 40},
		{1, time.Second, 1},
		{1, 999 * time.Millisecond, 0},
		{3, time.Second, 3},
		{7, 1500 * time.Millisecond, 10},
		{300, 30 * time.Second, 9000},
		{1000, time.Second, 1000},
	} {
		s := newSchedule(c.rate, c.d)
		interval := time.Second / time.Duration(c.rate)
		var got []time.Duration
		for at, ok := s.next(); ok; at, ok = s.next() {
			got = append(got, at)
		}
		if len(got) != c.want || planned(c.rate, c.d) != c.want {
			t.Errorf("%d/s for %s: %d planned, want %d", c.rate, c.d, len(got), c.want)
			continue
		}
		for i, at := range got {
			if at != time.Duration(i+1)*interval || at > c.d {
				t.Errorf("%d/s for %s: request %d at %s, want %s", c.rate, c.d, i, at, time.Duration(i+1)*interval)
				break
			}
		}
	}
}
