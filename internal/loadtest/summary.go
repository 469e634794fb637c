package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Summary is what an operator reads at the end of a run.
type Summary struct {
	Planned, Sent                int // Sent counts every attempt
	OK, Refused, Failed, Skipped int // records by outcome
	Failures                     map[Cause]int
	Refusals                     map[Cause]int // refused and skipped, by cause
	FailedSeconds                []SecondFailures
	Kinds                        []KindStats // kinds with records, in report order
	Orders                       int         // distinct order numbers answered
	SentRate, OKRate             float64     // per second over the sending span
	Elapsed                      time.Duration
}

// SecondFailures are the failures of one second of the run (by when the
// request was sent, or planned if it never was).
type SecondFailures struct {
	Second  int
	ByCause map[Cause]int
}

// KindStats are one kind's counts and latencies (every sent request,
// failed ones included: a timeout is what its shopper waited).
type KindStats struct {
	Kind               Kind
	Sent, Failed       int
	P50, P90, P99, Max time.Duration
}

// Summarize counts res.
func Summarize(res *Results) Summary {
	s := Summary{Planned: res.Planned, Failures: map[Cause]int{}, Refusals: map[Cause]int{}, Elapsed: res.Elapsed}
	lat := map[Kind][]time.Duration{}
	failed := map[Kind]int{}
	bySecond := map[int]map[Cause]int{}
	orders := map[string]bool{}
	var span time.Duration
	for _, rec := range res.Records {
		switch rec.Outcome {
		case OK:
			s.OK++
		case Refused:
			s.Refused++
			s.Refusals[rec.Cause]++
		case Skipped:
			s.Skipped++
			s.Refusals[rec.Cause]++
		case Failed:
			s.Failed++
			s.Failures[rec.Cause]++
			failed[rec.Kind]++
			sec := int(rec.at() / time.Second)
			if bySecond[sec] == nil {
				bySecond[sec] = map[Cause]int{}
			}
			bySecond[sec][rec.Cause]++
		}
		if rec.OrderNumber != "" {
			orders[rec.OrderNumber] = true
		}
		if rec.Sent >= 0 {
			s.Sent++
			lat[rec.Kind] = append(lat[rec.Kind], rec.Latency)
			span = max(span, rec.Sent)
		}
	}
	s.Orders = len(orders)
	for _, sec := range slices.Sorted(maps.Keys(bySecond)) {
		s.FailedSeconds = append(s.FailedSeconds, SecondFailures{Second: sec, ByCause: bySecond[sec]})
	}
	for _, k := range Kinds {
		if len(lat[k]) == 0 && failed[k] == 0 {
			continue
		}
		ks := KindStats{Kind: k, Sent: len(lat[k]), Failed: failed[k]}
		ks.P50, ks.P90, ks.P99, ks.Max = percentiles(lat[k])
		s.Kinds = append(s.Kinds, ks)
	}
	if span > 0 {
		s.SentRate = float64(s.Sent) / span.Seconds()
		s.OKRate = float64(s.OK) / span.Seconds()
	}
	return s
}

// at is when a record happened: sent, or planned if it never was.
func (rec Record) at() time.Duration {
	if rec.Sent >= 0 {
		return rec.Sent
	}
	return rec.Planned
}

// percentiles are the nearest-rank p50, p90, p99 and the maximum of d,
// which it sorts.
func percentiles(d []time.Duration) (p50, p90, p99, maximum time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	rank := func(p int) time.Duration { return d[(p*len(d)+99)/100-1] }
	return rank(50), rank(90), rank(99), d[len(d)-1]
}

// Write prints the summary for people.
func (s Summary) Write(w io.Writer) {
	fmt.Fprintf(w, "requests: %d planned, %d sent (retries included): %d ok, %d refused, %d skipped, %d failed\n",
		s.Planned, s.Sent, s.OK, s.Refused, s.Skipped, s.Failed)
	fmt.Fprintf(w, "rate: %.1f/s sent, %.1f/s ok; %d orders placed; %s elapsed\n", s.SentRate, s.OKRate, s.Orders, s.Elapsed.Round(time.Millisecond))
	if len(s.Refusals) > 0 {
		fmt.Fprintf(w, "not failures: %s\n", causes(s.Refusals))
	}
	fmt.Fprintf(w, "%-9s %7s %7s %9s %9s %9s %9s\n", "kind", "sent", "failed", "p50", "p90", "p99", "max")
	for _, k := range s.Kinds {
		fmt.Fprintf(w, "%-9s %7d %7d %9s %9s %9s %9s\n", k.Kind, k.Sent, k.Failed, ms(k.P50), ms(k.P90), ms(k.P99), ms(k.Max))
	}
	if s.Failed == 0 {
		fmt.Fprintln(w, "failures: none")
		return
	}
	fmt.Fprintf(w, "failures by cause: %s\n", causes(s.Failures))
	fmt.Fprintln(w, "failures by second:")
	for _, sec := range s.FailedSeconds {
		n := 0
		for _, c := range sec.ByCause {
			n += c
		}
		fmt.Fprintf(w, "  %4ds %5d  %s\n", sec.Second, n, causes(sec.ByCause))
	}
}

// FailureCauses is the failures by cause in one line: "reset 3, timeout 1".
func (s Summary) FailureCauses() string { return causes(s.Failures) }

// causes is "reset 3, timeout 1", most frequent first.
func causes(m map[Cause]int) string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b Cause) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(string(a), string(b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
