package balance

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Selector chooses one of the candidates for a request. cands is never
// empty; key is Pick's key. Implementations are safe for concurrent use.
type Selector interface {
	Select(cands []Candidate, key string) *Backend
}

// Candidate is a backend a Selector may choose, with its weight now: 1,
// or less while it slow-starts.
type Candidate struct {
	*Backend
	Weight float64
}

var (
	_ Selector = (*LeastRequest)(nil)
	_ Selector = (*RoundRobin)(nil)
	_ Selector = (*Hash)(nil)
)

// LeastRequest draws two different candidates at random, in proportion to
// their weights, and chooses the less loaded (the power of two choices):
// nearly as good as the least loaded of all, without herding every
// edge's requests onto the one backend that looked idlest. The load is
// (in flight + 1) × the peak EWMA of its latency, as Linkerd's balancer,
// so a backend that turns slow loses its share even at low rates, where
// in-flight counts are all near zero (issue 10's slow backend). On a tie
// (costs within latencyNoise) the first draw wins, so shares follow the
// weights: slow start works.
type LeastRequest struct {
	// Rand returns an int in [0, n); if nil, math/rand/v2. It must be safe
	// for concurrent use when Pick is called concurrently.
	Rand func(n int) int
	// IgnoreLatency compares in-flight counts only (Envoy's least request).
	// A backend failing fast then holds few requests and draws more:
	// outlier ejection alone stops it.
	IgnoreLatency bool
}

func (s *LeastRequest) Select(cands []Candidate, _ string) *Backend {
	if len(cands) == 1 {
		return cands[0].Backend
	}
	i := s.draw(cands, -1)
	j := s.draw(cands, i)
	a, b := cands[i].Backend, cands[j].Backend
	la, lb := float64(a.InFlight()+1), float64(b.InFlight()+1)
	// A slow-starting backend is judged by its weight, which drew it, and
	// its in-flight count: its first answers, from a cold process, say
	// little of the next, and judged by them it got nothing more until its
	// estimate had decayed, tens of seconds (TestSlowStartIgnoresColdAnswers).
	if !s.IgnoreLatency && cands[i].Weight >= 1 && cands[j].Weight >= 1 {
		now := a.pool.now()
		ea, okA := a.estimate(now)
		eb, okB := b.estimate(now)
		if !okA || !okB {
			// A backend not heard from yet counts as the average one: as
			// free as the others, without taking every request until its
			// first answer.
			mean := meanEstimate(cands, now)
			if !okA {
				ea = mean
			}
			if !okB {
				eb = mean
			}
		}
		// A backend that hangs keeps the estimate of its last answers:
		// the time it has held requests without an answer bounds it.
		ea, eb = max(ea, a.stalled(now)), max(eb, b.stalled(now))
		la, lb = la*ea, lb*eb
	}
	// Costs within latencyNoise of each other are a tie: otherwise two
	// equal backends measured a fraction of a millisecond apart split
	// 80/20, the slower one winning a draw only once its idle estimate has
	// decayed below the other's.
	if lb*latencyNoise < la {
		return b
	}
	return a
}

// latencyNoise is the ratio of two costs below which LeastRequest sees no
// difference: more than the jitter of equal backends on one machine, far
// less than one request more in flight (2×) or a slow backend (10×).
const latencyNoise = 1.25

// draw returns the index of a candidate other than skip, at random in
// proportion to the weights.
func (s *LeastRequest) draw(cands []Candidate, skip int) int {
	total := 0.0
	uniform := true
	for i, c := range cands {
		if i != skip {
			total += c.Weight
			uniform = uniform && c.Weight == cands[0].Weight
		}
	}
	n := len(cands)
	if skip >= 0 {
		n--
	}
	if uniform {
		k := s.intN(n)
		if skip >= 0 && k >= skip {
			k++
		}
		return k
	}
	u := float64(s.intN(1<<53)) / (1 << 53) * total
	last := 0
	for i, c := range cands {
		if i == skip {
			continue
		}
		last = i
		if u -= c.Weight; u < 0 {
			return i
		}
	}
	return last // rounding
}

func (s *LeastRequest) intN(n int) int {
	if s.Rand != nil {
		return s.Rand(n)
	}
	return rand.IntN(n)
}

// estimate is b's latency estimate for Select, b being available: a
// backend back in the rotation (from unhealthy, or at the end of an
// ejection) starts afresh. The failures that took it out each fed the
// estimate a second's penalty (failurePenalty), which would otherwise pass
// it over for tens of seconds after its slow start ended.
func (b *Backend) estimate(now time.Time) (float64, bool) {
	v := b.view.Load()
	since := v.since
	if v.state == Ejected {
		since = v.until // ran out, or b would not be a candidate
	}
	// Nor do the answers it gave while it ramped up count: Select compared
	// it on weight then, and its cold first answers would pass it over
	// for as long as they take to decay once the ramp is over
	// (TestSlowStartEndsWithAFreshEstimate).
	if !since.IsZero() {
		since = since.Add(b.pool.cfg.SlowStart)
	}
	return b.lat.estimateSince(now, since)
}

// meanEstimate is the mean latency estimate of the candidates that have
// one, or 1 when none has.
func meanEstimate(cands []Candidate, now time.Time) float64 {
	sum, n := 0.0, 0
	for _, c := range cands {
		if e, ok := c.estimate(now); ok {
			sum, n = sum+e, n+1
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

// RoundRobin takes the candidates in turn. It ignores weights: with slow
// start, use LeastRequest or Hash.
type RoundRobin struct {
	next atomic.Uint64
}

func (s *RoundRobin) Select(cands []Candidate, _ string) *Backend {
	return cands[(s.next.Add(1)-1)%uint64(len(cands))].Backend
}

// Hash sends each key to the same backend while the set holds still, by
// rendezvous hashing: every candidate scores hash(key, backend) and the
// highest wins. Removing a backend moves only its own keys, adding one
// takes only the keys it now wins, about 1/n each; a retry that excludes
// the first choice goes to the key's second. It keeps no ring to rebuild on
// every Set or health change, which a ring or Maglev table would need, and
// its O(n) per pick costs nothing at the tens of backends of an app tier.
// Weights use the logarithmic method (Schindelhauer and Schomaker), so a
// slow-starting backend takes its keys over gradually.
type Hash struct {
	// Fallback chooses when the key is empty; if nil, LeastRequest.
	Fallback Selector
}

func (s *Hash) Select(cands []Candidate, key string) *Backend {
	if key == "" {
		if s.Fallback != nil {
			return s.Fallback.Select(cands, key)
		}
		return (&LeastRequest{}).Select(cands, key)
	}
	kh := hashString(key)
	var best *Backend
	bestScore := math.Inf(-1)
	for _, c := range cands {
		// A uniform draw in (0, 1) from the pair, then -w/ln(u): the
		// highest score wins with probability proportional to w.
		u := (float64(mix(kh^c.hash)>>11) + 0.5) / (1 << 53)
		if score := -c.Weight / math.Log(u); score > bestScore {
			best, bestScore = c.Backend, score
		}
	}
	return best
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix is SplitMix64's finalizer: every input bit flips about half the
// output bits, which FNV alone does not do for near-equal keys.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
