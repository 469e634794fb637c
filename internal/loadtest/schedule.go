package loadtest

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// schedule turns a pacer into the planned send times of a run, as offsets
// from its start. It runs the pacer on a virtual clock that jumps to each
// planned time, so the plan is a pure function of pacer and duration: a
// constant rate r for d gives exactly ⌊r·d⌋ requests, the first at 1/r and
// the last at or before d, however late the real sender runs.
type schedule struct {
	pacer    vegeta.Pacer
	duration time.Duration
	at       time.Duration // the last planned offset
	hits     uint64        // requests planned so far
}

func newSchedule(rate int, d time.Duration) *schedule {
	return &schedule{pacer: vegeta.ConstantPacer{Freq: rate, Per: time.Second}, duration: d}
}

// next returns the offset of the next request, false once the run is over.
func (s *schedule) next() (time.Duration, bool) {
	wait, stop := s.pacer.Pace(s.at, s.hits)
	if stop || s.at+wait > s.duration {
		return 0, false
	}
	s.at += wait
	s.hits++
	return s.at, true
}

// planned is how many requests a run of rate r for d plans.
func planned(rate int, d time.Duration) int {
	s := newSchedule(rate, d)
	n := 0
	for _, ok := s.next(); ok; _, ok = s.next() {
		n++
	}
	return n
}
