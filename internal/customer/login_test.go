package customer_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/password/passwordtest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestAuthenticateAnswersAlike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		ada := register(t, s, "ada@example.com")
		if c, err := s.Authenticate(ctx, " ADA@example.com", goodPassword, "10.0.0.1"); err != nil || c.ID != ada.ID || c.Name != ada.Name {
			t.Fatalf("good login: %+v, %v", c, err)
		}
		type answer struct {
			code fault.Code
			msg  string
		}
		var answers []answer
		for _, tc := range []struct{ email, password string }{
			{"ada@example.com", "wrong password!"},
			{"nobody@example.com", goodPassword},
			{"nobody@example.com", "wrong password!"},
			{"not an email", "x"},
			{"ada@example.com", ""},
		} {
			c, err := s.Authenticate(ctx, tc.email, tc.password, "10.0.0.2")
			if err == nil || c.ID != 0 {
				t.Fatalf("Authenticate(%q, %q) = %+v, %v", tc.email, tc.password, c, err)
			}
			answers = append(answers, answer{fault.CodeOf(err), fault.MessageOf(err)})
		}
		for _, a := range answers {
			if a != answers[0] || a.code != fault.Unauthorized || a.msg != "Email or password is wrong." {
				t.Errorf("answers differ: %+v", answers)
				break
			}
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clocktest.New(t0)
		s := &customer.Service{DB: db, Now: clk.Now, MaxFailures: 3, ClientMaxFailures: 5, FailureWindow: 15 * time.Minute}
		register(t, s, "ada@example.com")
		register(t, s, "bob@example.com")
		login := func(email, pw, client string) fault.Code {
			_, err := s.Authenticate(ctx, email, pw, client)
			if err == nil {
				return ""
			}
			return fault.CodeOf(err)
		}

		t.Run("per account", func(t *testing.T) {
			for i := range 3 {
				if c := login("ada@example.com", "wrong password", fmt.Sprintf("10.1.0.%d", i)); c != fault.Unauthorized {
					t.Fatalf("failure %d: %s", i+1, c)
				}
			}
			// Even the right password is refused now, from any address.
			if c := login("ada@example.com", goodPassword, "10.1.1.1"); c != fault.RateLimited {
				t.Fatalf("after 3 failures: %q, want rate_limited", c)
			}
			if c := login("bob@example.com", goodPassword, "10.1.1.1"); c != "" {
				t.Fatalf("another account is affected: %q", c)
			}
			clk.Advance(14 * time.Minute)
			if c := login("ada@example.com", goodPassword, "10.1.1.1"); c != fault.RateLimited {
				t.Fatalf("within the window: %q", c)
			}
			clk.Advance(time.Minute)
			if c := login("ada@example.com", goodPassword, "10.1.1.1"); c != "" {
				t.Fatalf("after the window: %q", c)
			}
		})

		t.Run("success clears the account", func(t *testing.T) {
			for range 2 {
				login("bob@example.com", "wrong password", "10.2.0.1")
			}
			if c := login("bob@example.com", goodPassword, "10.2.0.2"); c != "" {
				t.Fatal(c)
			}
			for i := range 2 {
				if c := login("bob@example.com", "wrong password", "10.2.0.3"); c != fault.Unauthorized {
					t.Fatalf("failure %d after a success: %q (the count was not cleared)", i+1, c)
				}
			}
			if c := login("bob@example.com", goodPassword, "10.2.0.4"); c != "" {
				t.Fatal(c)
			}
		})

		t.Run("unknown accounts are throttled alike", func(t *testing.T) {
			for range 3 {
				login("ghost@example.com", "x", "10.3.0.1")
			}
			if c := login("ghost@example.com", "x", "10.3.0.2"); c != fault.RateLimited {
				t.Fatalf("unknown account after 3 failures: %q", c)
			}
		})

		t.Run("per client address", func(t *testing.T) {
			clk.Advance(time.Hour)
			for i := range 5 {
				if c := login(fmt.Sprintf("guess%d@example.com", i), "x", "192.0.2.7"); c != fault.Unauthorized {
					t.Fatalf("failure %d: %q", i+1, c)
				}
			}
			if c := login("ada@example.com", goodPassword, "192.0.2.7"); c != fault.RateLimited {
				t.Fatalf("client after 5 failures: %q", c)
			}
			if c := login("ada@example.com", goodPassword, "192.0.2.8"); c != "" {
				t.Fatalf("another client is affected: %q", c)
			}
			clk.Advance(15 * time.Minute)
			if c := login("ada@example.com", goodPassword, "192.0.2.7"); c != "" {
				t.Fatalf("client after the window: %q", c)
			}
		})

		t.Run("cleanup", func(t *testing.T) {
			clk.Advance(time.Hour)
			n, err := s.CleanupFailures(ctx)
			if err != nil || n == 0 {
				t.Fatalf("CleanupFailures = %d, %v", n, err)
			}
			var left int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM login_failures`).Scan(&left); err != nil || left != 0 {
				t.Errorf("%d rows left (%v)", left, err)
			}
		})
	})
}

// TestParallelWrongPasswords (issue 9, item 4): 15 parallel wrong passwords
// against one account with a limit of 5 get 5 "wrong" answers and 10
// "too many": the attempt is counted before the password is verified.
func TestParallelWrongPasswords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db)
		register(t, s, "ada@example.com")
		codes := parallelCodes(15, func(i int) error {
			_, err := s.Authenticate(context.Background(), "ada@example.com", "wrong password", fmt.Sprintf("192.0.2.%d", i))
			return err
		})
		if codes[fault.Unauthorized] != 5 || codes[fault.RateLimited] != 10 {
			t.Errorf("answers %v; want 5 unauthorized (verified) and 10 rate_limited", codes)
		}
	})
}

// parallelCodes runs n calls of f at once and counts their fault codes.
func parallelCodes(n int, f func(i int) error) map[fault.Code]int {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	codes := map[fault.Code]int{}
	for _, err := range errs {
		codes[fault.CodeOf(err)]++
	}
	return codes
}

// TestLoginRehashesAWeakerHash (issue 16): an account whose password was
// hashed at a lower cost than today's gets a new hash at its next good
// login, and keeps logging in; a wrong password changes nothing.
func TestLoginRehashesAWeakerHash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		register(t, s, "ada@example.com")
		stored := func() string {
			var h string
			if err := db.QueryRow(ctx, `SELECT password_hash FROM customers WHERE email = $1`, "ada@example.com").Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		weak := passwordtest.Weak(goodPassword)
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE customers SET password_hash = $1 WHERE email = $2`, weak, "ada@example.com")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "not the password", ""); err == nil || stored() != weak {
			t.Fatalf("wrong password: %v; the hash changed: %v", err, stored() != weak)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", goodPassword, ""); err != nil {
			t.Fatalf("good login on a weak hash: %v", err)
		}
		if h := stored(); h == weak || password.NeedsRehash(h) {
			t.Errorf("after the login the hash is %.40s…, want a new one at today's cost", h)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", goodPassword, ""); err != nil {
			t.Errorf("login after the rehash: %v", err)
		}
	})
}
