package loginlimit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/loginlimit"
	"agora/internal/password"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCountersAndWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := &loginlimit.Limiter{DB: db, Window: 10 * time.Minute}
		acct, client := loginlimit.Key("account", "ada@example.com"), loginlimit.Key("client", "192.0.2.1")
		limits := []loginlimit.Limit{{Key: acct, Max: 3}, {Key: client, Max: 5}}
		check := func(now time.Time) ([]int, bool) {
			t.Helper()
			counts, blocked, err := l.Check(ctx, now, limits...)
			if err != nil {
				t.Fatal(err)
			}
			return counts, blocked
		}

		take := func(now time.Time, limits ...loginlimit.Limit) ([]int, bool) {
			t.Helper()
			counts, blocked, err := l.Take(ctx, now, limits...)
			if err != nil {
				t.Fatal(err)
			}
			return counts, blocked
		}
		for i := range 3 {
			if counts, blocked := take(t0.Add(time.Duration(i)*time.Minute), limits...); blocked || counts[0] != i+1 || counts[1] != i+1 {
				t.Fatalf("attempt %d: counts %v blocked %v", i+1, counts, blocked)
			}
		}
		if counts, blocked := check(t0.Add(3 * time.Minute)); !blocked || counts[0] != 3 || counts[1] != 3 {
			t.Fatalf("after 3 attempts: counts %v blocked %v; want [3 3] blocked", counts, blocked)
		}
		// A full counter blocks the attempt and counts nothing, on any key.
		if _, blocked := take(t0.Add(3*time.Minute), limits...); !blocked {
			t.Fatal("a fourth attempt was not blocked")
		}
		if counts, _ := check(t0.Add(3 * time.Minute)); counts[1] != 3 {
			t.Errorf("a blocked attempt was counted against the client: %v", counts)
		}
		// The window runs from the first attempt, not the last.
		if _, blocked := check(t0.Add(10 * time.Minute)); blocked {
			t.Error("still blocked once the window from the first attempt has passed")
		}
		// An attempt after the window starts a fresh count.
		if counts, blocked := take(t0.Add(11*time.Minute), limits[0]); blocked || counts[0] != 1 {
			t.Errorf("new window: counts %v blocked %v, want [1]", counts, blocked)
		}
		if counts, _ := check(t0.Add(11 * time.Minute)); counts[0] != 1 || counts[1] != 0 {
			t.Errorf("new window: counts %v, want [1 0]", counts)
		}
		if err := l.Clear(ctx, acct); err != nil {
			t.Fatal(err)
		}
		if counts, _ := check(t0.Add(11 * time.Minute)); counts[0] != 0 {
			t.Errorf("after Clear: %v", counts)
		}

		// Cleanup removes only counters whose window has passed.
		take(t0.Add(30*time.Minute), limits[0])
		if n, err := l.Cleanup(ctx, t0.Add(30*time.Minute)); err != nil || n != 1 {
			t.Errorf("Cleanup = %d, %v; want the one stale client counter", n, err)
		}
		if counts, _ := check(t0.Add(30 * time.Minute)); counts[0] != 1 {
			t.Errorf("Cleanup removed a live counter: %v", counts)
		}
	})
}

// Keys are built from whatever a client sends: they must always be
// storable (PostgreSQL refuses invalid UTF-8) and bounded.
func TestKeyOfHostileInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := &loginlimit.Limiter{DB: db}
		for _, v := range []string{
			"bad utf-8 \xff\xfe",
			strings.Repeat("é", 400), // cut in the middle of a character
			strings.Repeat("x", 10_000),
			"",
		} {
			k := loginlimit.Key("staff:account", v)
			if !utf8.ValidString(k) || len(k) > 300 || !strings.HasPrefix(k, "staff:account:") {
				t.Errorf("Key(%.20q) = %.40q (%d bytes)", v, k, len(k))
			}
			if _, _, err := l.Take(ctx, t0, loginlimit.Limit{Key: k, Max: 5}); err != nil {
				t.Errorf("Take(%.40q): %v", k, err)
			}
			if counts, _, err := l.Check(ctx, t0, loginlimit.Limit{Key: k, Max: 1}); err != nil || counts[0] != 1 {
				t.Errorf("Check(%.40q) = %v, %v", k, counts, err)
			}
		}
	})
}

// TestParallelGuessesStayWithinTheLimit (issue 9, item 4): a burst of
// parallel wrong passwords gets at most MaxPerAccount of them verified; the
// rest are refused before any password work, whichever instance (here:
// goroutine) they reach.
func TestParallelGuessesStayWithinTheLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		g := loginlimit.Guard{Limiter: &loginlimit.Limiter{DB: db}, MaxPerAccount: 5, MaxPerClient: 20}
		const burst = 15
		var verified atomic.Int32
		var wg sync.WaitGroup
		outcomes := make(chan loginlimit.Outcome, burst)
		for i := range burst {
			wg.Go(func() {
				o, err := g.Attempt(ctx, t0, "ada@example.com", fmt.Sprintf("192.0.2.%d", i), "wrong password", func() (string, error) {
					verified.Add(1)
					return "", fault.New(fault.NotFound, "no such account")
				})
				if err != nil {
					t.Error(err)
				}
				outcomes <- o
			})
		}
		wg.Wait()
		close(outcomes)
		blocked := 0
		for o := range outcomes {
			if o == loginlimit.Blocked {
				blocked++
			}
		}
		if n := verified.Load(); n > 5 || int(n)+blocked != burst {
			t.Errorf("%d of %d parallel guesses verified, %d blocked; want at most 5 verified and the rest blocked", n, burst, blocked)
		}
	})
}

// TestSuccessRefundsItsAttempt: a right password clears the account's
// failures and gives back the client's counted attempt, so shoppers who
// log in right are never throttled by their own logins — while the wrong
// guesses around them still count.
func TestSuccessRefundsItsAttempt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := &loginlimit.Limiter{DB: db}
		g := loginlimit.Guard{Limiter: l, MaxPerAccount: 3, MaxPerClient: 3}
		hash := password.Hash("right password")
		lookup := func() (string, error) { return hash, nil }
		attempt := func(pw string) loginlimit.Outcome {
			t.Helper()
			o, err := g.Attempt(ctx, t0, "ada@example.com", "192.0.2.1", pw, lookup)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		for range 5 {
			if o := attempt("right password"); o != loginlimit.Accepted {
				t.Fatalf("right password: outcome %v", o)
			}
		}
		attempt("wrong")
		attempt("wrong")
		attempt("right password") // clears the account, not the client's two failures
		attempt("wrong")
		if o := attempt("right password"); o != loginlimit.Blocked {
			t.Errorf("after 3 failures from one client: outcome %v, want Blocked", o)
		}
	})
}
