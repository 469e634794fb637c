package staff_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"agora/internal/fault"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var keyFormat = regexp.MustCompile(`^agk_[A-Za-z0-9_-]{43}$`)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := newService(db)
		owner := mustCreate(t, s, "owner@example.com", staff.Owner)

		plain, k, err := s.CreateAPIKey(ctx, owner.ID, "  ERP sync ")
		if err != nil || !keyFormat.MatchString(plain) {
			t.Fatalf("CreateAPIKey = %q, %v", plain, err)
		}
		if k.ID == 0 || k.Name != "ERP sync" || k.StaffEmail != owner.Email || k.Prefix != plain[:12] || !k.CreatedAt.Equal(t0) {
			t.Errorf("key = %+v", k)
		}
		if other, _, _ := s.CreateAPIKey(ctx, owner.ID, "other"); other == plain {
			t.Error("two keys are equal")
		}

		// The secret is not stored, only its hash.
		var stored string
		if err := db.QueryRow(ctx, `SELECT key_hash FROM api_keys WHERE id = $1`, k.ID).Scan(&stored); err != nil || strings.Contains(stored, plain[4:]) {
			t.Errorf("stored %q (%v)", stored, err)
		}

		st, err := s.ByAPIKey(ctx, plain)
		if err != nil || st != owner {
			t.Fatalf("ByAPIKey = %+v, %v", st, err)
		}
		lastUsed := func() time.Time {
			t.Helper()
			keys, err := s.APIKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range keys {
				if x.ID == k.ID {
					return x.LastUsedAt
				}
			}
			t.Fatalf("key %d is not listed", k.ID)
			return time.Time{}
		}
		if got := lastUsed(); !got.Equal(t0) {
			t.Errorf("last used %v, want %v", got, t0)
		}
		clk.Advance(30 * time.Second)
		s.ByAPIKey(ctx, plain)
		if got := lastUsed(); !got.Equal(t0) {
			t.Errorf("last used moved to %v within a minute (one write per request)", got)
		}
		clk.Advance(30 * time.Second)
		s.ByAPIKey(ctx, plain)
		if got := lastUsed(); !got.Equal(t0.Add(time.Minute)) {
			t.Errorf("last used %v after a minute, want %v", got, t0.Add(time.Minute))
		}

		for _, bad := range []string{"", "agk_", plain[:len(plain)-1], plain + "x", strings.ToUpper(plain), "agk_" + strings.Repeat("A", 43), "Bearer " + plain} {
			if _, err := s.ByAPIKey(ctx, bad); fault.CodeOf(err) != fault.Unauthorized {
				t.Errorf("ByAPIKey(%q): %v, want unauthorized", bad, err)
			}
		}

		// Revocation is effective at once.
		if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByAPIKey(ctx, plain); fault.CodeOf(err) != fault.Unauthorized {
			t.Errorf("revoked key: %v, want unauthorized", err)
		}
		if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, k.ID+100); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("revoking an unknown key: %v", err)
		}
		keys, err := s.APIKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].ID != k.ID || !keys[0].RevokedAt.Equal(clk.Now()) || !keys[1].RevokedAt.IsZero() || !keys[1].LastUsedAt.IsZero() {
			t.Errorf("APIKeys = %+v, %v", keys, err)
		}

		if _, _, err := s.CreateAPIKey(ctx, owner.ID, ""); fault.FieldOf(err) != "name" {
			t.Errorf("empty name: %v", err)
		}
		if _, _, err := s.CreateAPIKey(ctx, owner.ID+100, "x"); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("unknown staff: %v", err)
		}
	})
}
