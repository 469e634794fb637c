package balance

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// The latency summary keeps a histogram per slot of slotSpan over the last
// window, so percentiles and rates describe the last minute, not the
// process's life, and recording costs a few additions.
const (
	slotSpan = 10 * time.Second
	slots    = 6 // window = 1 minute
	window   = slots * slotSpan
	// Buckets are log-linear over microseconds: four per power of two, so
	// a percentile is off by at most 25%, from 1 µs to beyond an hour.
	subBits = 2
	buckets = 40 * (1 << subBits)
)

// bucketOf is the histogram bucket of a latency of us microseconds.
func bucketOf(us uint64) int {
	if us < 1<<subBits {
		return int(us)
	}
	e := bits.Len64(us) - 1
	sub := (us >> (e - subBits)) & (1<<subBits - 1)
	return min((e-subBits+1)<<subBits+int(sub), buckets-1)
}

// bucketTop is the largest latency in bucket i: percentiles report it, so
// they err on the slow side.
func bucketTop(i int) time.Duration {
	if i < 1<<subBits {
		return time.Duration(i) * time.Microsecond
	}
	e, sub := i>>subBits+subBits-1, uint64(i&(1<<subBits-1))
	top := (1<<subBits+sub+1)<<(e-subBits) - 1
	return time.Duration(top) * time.Microsecond
}

type slot struct {
	start  time.Time // of its span; zero for a slot never used
	count  uint64
	counts [buckets]uint32
}

// latency is one backend's recent latencies and its peak EWMA.
type latency struct {
	mu    sync.Mutex // protects everything below
	ring  [slots]slot
	ewma  float64 // peak EWMA of latency, in nanoseconds; 0 before any sample
	stamp time.Time
	last  time.Time // of the last sample
	above bool      // the last sample was above the estimate
}

// decay is how fast the peak EWMA forgets: linkerd2-proxy's 10 s.
const decay = 10 * time.Second

// failurePenalty is the least latency a failed request feeds the peak
// EWMA: a backend that refuses connections or answers 503 at once is dead
// or sick, not fast, and must not draw the load to itself (the black hole
// of latency-aware balancing). The percentiles keep the real figure.
const failurePenalty = time.Second

// record adds one latency d observed at now, of a failed request if failed.
func (l *latency) record(now time.Time, d time.Duration, failed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = now
	if failed {
		l.observe(now, float64(max(d, failurePenalty)), true)
	} else {
		l.observe(now, float64(d), false)
	}
	start := now.Truncate(slotSpan)
	s := &l.ring[(start.UnixNano()/int64(slotSpan))%slots]
	if !s.start.Equal(start) {
		*s = slot{start: start}
	}
	s.count++
	s.counts[bucketOf(uint64(max(d, 0)/time.Microsecond))]++
}

// observe updates the peak EWMA (Finagle's PeakEwma) with a sample rtt,
// a failure's if failed. A sample above the estimate replaces it at once
// when it is a failure's or when the sample before was above it too: a
// backend that turns slow gives two such samples in a row, and is avoided
// from the second. One slow answer of a healthy backend (a collection, a
// busy host) does not: replacing the estimate with it made that backend
// look, for tens of seconds, as slow as one slow on every answer, and with
// a few such spikes among its peers a backend 300 ms slower kept 14% of
// the requests (TestSlowBackendAmongSpikyPeers). Other samples move the
// estimate toward them as time passes. Observing 0 is how idle time
// decays the estimate, so a backend once slow is tried again. The caller
// holds l.mu.
func (l *latency) observe(now time.Time, rtt float64, failed bool) {
	if l.stamp.IsZero() {
		if rtt > 0 {
			l.ewma, l.stamp = rtt, now
		}
		return
	}
	td := max(now.Sub(l.stamp), 0)
	w := math.Exp(-float64(td) / float64(decay))
	l.stamp = now
	above := rtt > l.ewma
	if above && (failed || l.above) {
		l.ewma = rtt
	} else {
		l.ewma = l.ewma*w + rtt*(1-w)
	}
	if rtt > 0 {
		l.above = above
	}
}

// estimate is the peak EWMA decayed to now, and false before any sample.
func (l *latency) estimate(now time.Time) (float64, bool) {
	return l.estimateSince(now, time.Time{})
}

// estimateSince is estimate, forgetting the samples if none came at or
// after since: those of a backend's life before it went out of the
// rotation, which say nothing of the process that came back.
func (l *latency) estimateSince(now, since time.Time) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stamp.IsZero() && l.last.Before(since) {
		l.ewma, l.stamp = 0, time.Time{}
	}
	if l.stamp.IsZero() {
		return 0, false
	}
	l.observe(now, 0, false)
	return l.ewma, true
}

// summary is the count and the p50, p95 and p99 of the latencies recorded
// in the window before now.
func (l *latency) summary(now time.Time) (n uint64, p50, p95, p99 time.Duration) {
	var all [buckets]uint64
	l.mu.Lock()
	for i := range l.ring {
		s := &l.ring[i]
		if s.start.IsZero() || now.Sub(s.start) >= window {
			continue
		}
		n += s.count
		for b, c := range s.counts {
			all[b] += uint64(c)
		}
	}
	l.mu.Unlock()
	if n == 0 {
		return 0, 0, 0, 0
	}
	q := func(p float64) time.Duration {
		rank := uint64(math.Ceil(p * float64(n)))
		var seen uint64
		for b, c := range all {
			if seen += c; seen >= rank {
				return bucketTop(b)
			}
		}
		return bucketTop(buckets - 1)
	}
	return n, q(0.50), q(0.95), q(0.99)
}
