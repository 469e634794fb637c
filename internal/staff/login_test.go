package staff_test

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
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := clocktest.New(t0)
		s := &staff.Service{DB: db, Now: clk.Now, MaxFailures: 3, ClientMaxFailures: 5, FailureWindow: 15 * time.Minute}
		grace := mustCreate(t, s, "grace@example.com", staff.Manager)
		login := func(email, pw, client string) fault.Code {
			t.Helper()
			st, err := s.Authenticate(ctx, email, pw, client)
			if err == nil {
				if st != grace {
					t.Fatalf("logged in as %+v, want %+v", st, grace)
				}
				return ""
			}
			if st.ID != 0 {
				t.Fatalf("failed login returned %+v", st)
			}
			return fault.CodeOf(err)
		}

		t.Run("wrong and unknown answer alike", func(t *testing.T) {
			if c := login(" GRACE@example.com", goodPassword, "10.0.0.1"); c != "" {
				t.Fatalf("good login: %q", c)
			}
			var msgs []string
			for _, email := range []string{"grace@example.com", "nobody@example.com"} {
				_, err := s.Authenticate(ctx, email, "wrong password", "10.0.0.2")
				if fault.CodeOf(err) != fault.Unauthorized {
					t.Fatalf("%s: %v", email, err)
				}
				msgs = append(msgs, fault.MessageOf(err))
			}
			if msgs[0] != msgs[1] {
				t.Errorf("wrong password %q and unknown account %q answer differently", msgs[0], msgs[1])
			}
			login("grace@example.com", goodPassword, "10.0.0.3") // clears the account
		})

		t.Run("per account", func(t *testing.T) {
			for i := range 3 {
				if c := login("grace@example.com", "wrong password", fmt.Sprintf("10.1.0.%d", i)); c != fault.Unauthorized {
					t.Fatalf("failure %d: %q", i+1, c)
				}
			}
			if c := login("grace@example.com", goodPassword, "10.1.1.1"); c != fault.RateLimited {
				t.Fatalf("after 3 failures, the right password: %q, want rate_limited", c)
			}
			clk.Advance(15 * time.Minute)
			if c := login("grace@example.com", goodPassword, "10.1.1.1"); c != "" {
				t.Fatalf("after the window: %q", c)
			}
		})

		t.Run("per client address", func(t *testing.T) {
			for i := range 5 {
				login(fmt.Sprintf("guess%d@example.com", i), "x", "192.0.2.7")
			}
			if c := login("grace@example.com", goodPassword, "192.0.2.7"); c != fault.RateLimited {
				t.Fatalf("client after 5 failures: %q", c)
			}
			if c := login("grace@example.com", goodPassword, "192.0.2.8"); c != "" {
				t.Fatalf("another client is affected: %q", c)
			}
		})

		// Shoppers and staff share login_failures but not counters: a
		// storm at the shop's login does not lock the staff out.
		t.Run("apart from shoppers", func(t *testing.T) {
			clk.Advance(time.Hour)
			shop := &customer.Service{DB: db, Now: clk.Now, MaxFailures: 3, ClientMaxFailures: 5}
			for range 10 {
				_, _ = shop.Authenticate(ctx, "grace@example.com", "wrong password", "198.51.100.1")
			}
			if c := login("grace@example.com", goodPassword, "198.51.100.1"); c != "" {
				t.Fatalf("staff login after shopper failures: %q", c)
			}
		})
	})
}

// TestParallelWrongPasswords (issue 9, item 4): 15 parallel wrong passwords
// against one staff account with a limit of 5: only 5 are verified.
func TestParallelWrongPasswords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db)
		mustCreate(t, s, "owner@example.com", staff.Owner)
		var wg sync.WaitGroup
		errs := make([]error, 15)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.Authenticate(context.Background(), "owner@example.com", "wrong password", fmt.Sprintf("192.0.2.%d", i))
			})
		}
		wg.Wait()
		codes := map[fault.Code]int{}
		for _, err := range errs {
			codes[fault.CodeOf(err)]++
		}
		if codes[fault.Unauthorized] != 5 || codes[fault.RateLimited] != 10 {
			t.Errorf("answers %v; want 5 unauthorized (verified) and 10 rate_limited", codes)
		}
	})
}

// TestLoginRehashesAWeakerHash (issue 16): a staff password hashed at a
// lower cost than today's gets a new hash at the next good login.
func TestLoginRehashesAWeakerHash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		mustCreate(t, s, "grace@example.com", staff.Manager)
		stored := func() string {
			var h string
			if err := db.QueryRow(ctx, `SELECT password_hash FROM staff WHERE email = $1`, "grace@example.com").Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		weak := passwordtest.Weak(goodPassword)
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE staff SET password_hash = $1 WHERE email = $2`, weak, "grace@example.com")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "grace@example.com", goodPassword, ""); err != nil {
			t.Fatalf("good login on a weak hash: %v", err)
		}
		if h := stored(); h == weak || password.NeedsRehash(h) {
			t.Errorf("after the login the hash is %.40s…, want a new one at today's cost", h)
		}
		if _, err := s.Authenticate(ctx, "grace@example.com", goodPassword, ""); err != nil {
			t.Errorf("login after the rehash: %v", err)
		}
	})
}
