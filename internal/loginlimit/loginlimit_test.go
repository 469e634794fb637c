package loginlimit_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"agora/internal/loginlimit"
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

		for i := range 3 {
			if _, blocked := check(t0); blocked {
				t.Fatalf("blocked after %d failures, limit 3", i)
			}
			if err := l.Fail(ctx, t0.Add(time.Duration(i)*time.Minute), acct, client); err != nil {
				t.Fatal(err)
			}
		}
		if counts, blocked := check(t0.Add(3 * time.Minute)); !blocked || counts[0] != 3 || counts[1] != 3 {
			t.Fatalf("after 3 failures: counts %v blocked %v; want [3 3] blocked", counts, blocked)
		}
		// The window runs from the first failure, not the last.
		if _, blocked := check(t0.Add(10 * time.Minute)); blocked {
			t.Error("still blocked once the window from the first failure has passed")
		}
		// A failure after the window starts a fresh count.
		if err := l.Fail(ctx, t0.Add(11*time.Minute), acct); err != nil {
			t.Fatal(err)
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
		if err := l.Fail(ctx, t0.Add(30*time.Minute), acct); err != nil {
			t.Fatal(err)
		}
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
			if err := l.Fail(ctx, t0, k); err != nil {
				t.Errorf("Fail(%.40q): %v", k, err)
			}
			if counts, _, err := l.Check(ctx, t0, loginlimit.Limit{Key: k, Max: 1}); err != nil || counts[0] != 1 {
				t.Errorf("Check(%.40q) = %v, %v", k, counts, err)
			}
		}
	})
}
