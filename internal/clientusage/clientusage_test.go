package clientusage_test

import (
	"context"
	"testing"
	"time"

	"agora/internal/clientusage"
	"agora/internal/edge/ratelimit"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Two edges reporting through the table: each learns what the other let
// the same client use, never its own, and rows past Keep are forgotten.
func TestExchangeSumsOtherEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := "login 203.0.113.9"
		x := func(edge string, since int64, now time.Time, us ...ratelimit.Usage) ratelimit.Totals {
			t.Helper()
			tot, err := clientusage.Exchange(ctx, db, ratelimit.Report{Edge: edge, Since: since, Usage: us}, now)
			if err != nil {
				t.Fatal(err)
			}
			return tot
		}
		a := x("a", 0, t0, ratelimit.Usage{Key: k, N: 5, D: 5})
		if len(a.Usage) != 0 || a.Now != t0.UnixMilli() {
			t.Fatalf("edge a's first answer %+v: it must not see its own use", a)
		}
		x("c", 0, t0, ratelimit.Usage{Key: k, N: 2, D: 2}, ratelimit.Usage{Key: "search 198.51.100.1", N: 1, D: 1})
		b := x("b", 0, t0.Add(time.Second))
		if len(b.Usage) != 2 {
			t.Fatalf("edge b got %+v, want both keys", b.Usage)
		}
		for _, u := range b.Usage {
			if u.Key == k && (u.N != 7 || u.D != 7) {
				t.Fatalf("edge b sees %+v for %s, want n=7 d=7 (a's and c's)", u, k)
			}
		}
		// a reports again; b asks since its last answer: the growth shows.
		x("a", a.Now, t0.Add(3*time.Second), ratelimit.Usage{Key: k, N: 9, D: 4})
		b = x("b", b.Now, t0.Add(4*time.Second))
		var got ratelimit.Usage
		for _, u := range b.Usage {
			if u.Key == k {
				got = u
			}
		}
		if got.N != 11 {
			t.Fatalf("edge b sees %+v, want n=11", got)
		}
		if n, err := clientusage.Trim(ctx, db, t0.Add(clientusage.Keep+time.Millisecond)); err != nil || n != 2 {
			t.Fatalf("trim removed %d rows (%v), want c's 2 older rows", n, err)
		}
	})
}
