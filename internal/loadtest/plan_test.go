package loadtest

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func planSteps(seed uint64, mix Mix, n int) []step {
	p := newPlanner(seed, mix, testCatalog, "run")
	steps := make([]step, n)
	for i := range steps {
		steps[i] = p.next(i, time.Duration(i)*time.Millisecond)
	}
	return steps
}

// describe is what a step asks, without its channels.
func describe(st step) string {
	id := 0
	if st.shopper != nil {
		id = st.shopper.id
	}
	return fmt.Sprint(st.seq, st.kind, st.method, st.path, string(st.body), st.key, id)
}

// TestPlanIsDeterministic: one seed gives one plan, another seed another.
func TestPlanIsDeterministic(t *testing.T) {
	t.Parallel()
	mix := mustMix(t, DefaultMix)
	a, b, other := planSteps(42, mix, 500), planSteps(42, mix, 500), planSteps(43, mix, 500)
	same := true
	for i := range a {
		if describe(a[i]) != describe(b[i]) {
			t.Fatalf("step %d: %s, then %s with the same seed", i, describe(a[i]), describe(b[i]))
		}
		same = same && describe(a[i]) == describe(other[i])
	}
	if same {
		t.Error("seeds 42 and 43 planned the same requests")
	}
}

// TestPlanFollowsTheMix: over many requests each kind's share is its
// weight's, within a point.
func TestPlanFollowsTheMix(t *testing.T) {
	t.Parallel()
	mix := mustMix(t, DefaultMix)
	const n = 50000
	count := map[Kind]int{}
	for _, st := range planSteps(1, mix, n) {
		count[st.kind]++
	}
	for _, k := range Kinds {
		// the first checkouts, with no cart to take, add to one instead
		if got, want := 100*float64(count[k])/n, float64(mix[k]); math.Abs(got-want) > 1 {
			t.Errorf("%s: %.2f%% of requests, want %.0f%%", k, got, want)
		}
	}
}

// TestPlanCheckoutsFollowCarts: a checkout takes a shopper whose cart was
// planned before it, each shopper checks out at most once, keys are unique,
// and with no cart to take a checkout becomes an add to a new cart.
func TestPlanCheckoutsFollowCarts(t *testing.T) {
	t.Parallel()
	only := planSteps(1, mustMix(t, "checkout=1"), 6)
	var kinds []string
	for _, st := range only {
		kinds = append(kinds, string(st.kind))
	}
	if got := strings.Join(kinds, " "); got != "cart checkout cart checkout cart checkout" {
		t.Errorf("a mix of checkouts alone plans %s", got)
	}

	lines := map[int]int{}
	checkedOut := map[int]bool{}
	keys := map[string]bool{}
	for _, st := range planSteps(3, mustMix(t, "product=5,cart=30,checkout=10"), 5000) {
		switch st.kind {
		case Cart:
			if checkedOut[st.shopper.id] {
				t.Fatalf("step %d adds to shopper %d's cart after its checkout", st.seq, st.shopper.id)
			}
			if lines[st.shopper.id]++; lines[st.shopper.id] > linesPerCart {
				t.Fatalf("shopper %d has %d lines", st.shopper.id, lines[st.shopper.id])
			}
		case Checkout:
			if lines[st.shopper.id] == 0 || checkedOut[st.shopper.id] {
				t.Fatalf("step %d checks out shopper %d: %d lines, checked out before: %v", st.seq, st.shopper.id, lines[st.shopper.id], checkedOut[st.shopper.id])
			}
			checkedOut[st.shopper.id] = true
			if !strings.HasPrefix(st.key, "run-") || keys[st.key] {
				t.Fatalf("step %d: key %q not unique to the run", st.seq, st.key)
			}
			keys[st.key] = true
		}
	}
	if len(keys) < 500 {
		t.Errorf("only %d checkouts in 5000 requests", len(keys))
	}
}
