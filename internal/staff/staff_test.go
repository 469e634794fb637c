package staff_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"agora/internal/fault"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestCreate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		st, err := s.Create(ctx, "  Grace@Example.com ", " Grace Hopper ", staff.Owner, goodPassword)
		if err != nil || st.ID == 0 || st.Email != "grace@example.com" || st.Name != "Grace Hopper" || st.Role != staff.Owner || !st.CreatedAt.Equal(t0) {
			t.Fatalf("Create = %+v, %v", st, err)
		}
		if got, err := s.ByEmail(ctx, "GRACE@example.com"); err != nil || got != st {
			t.Errorf("ByEmail = %+v, %v; want %+v", got, err, st)
		}
		if got, err := s.ByID(ctx, st.ID); err != nil || got != st {
			t.Errorf("ByID = %+v, %v", got, err)
		}
		if _, err := s.ByID(ctx, st.ID+100); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("ByID(unknown): %v, want not_found", err)
		}

		_, err = s.Create(ctx, "grace@EXAMPLE.com", "Another", staff.Clerk, goodPassword)
		if fault.CodeOf(err) != fault.Conflict || fault.FieldOf(err) != "email" {
			t.Errorf("duplicate email: %v, want a conflict on email", err)
		}

		tests := []struct {
			email, name string
			role        staff.Role
			pw          string
			fields      []string
		}{
			{"not an email", "N", staff.Owner, goodPassword, []string{"email"}},
			{"a@example.com", "", staff.Owner, goodPassword, []string{"name"}},
			{"a@example.com", "Line\nbreak", staff.Owner, goodPassword, []string{"name"}},
			{"a@example.com", "N", "admin", goodPassword, []string{"role"}},
			{"a@example.com", "N", staff.Owner, "short", []string{"password"}},
			{"", "", "", "", []string{"email", "name", "role", "password"}}, // every field at once
		}
		for _, tc := range tests {
			_, err := s.Create(ctx, tc.email, tc.name, tc.role, tc.pw)
			if got := fields(err); !slices.Equal(got, tc.fields) || fault.CodeOf(err) != fault.Invalid {
				t.Errorf("Create(%q, %q, %q, %q): fields %v (%v), want %v", tc.email, tc.name, tc.role, tc.pw, got, err, tc.fields)
			}
		}
		if _, err := s.Create(ctx, "b@example.com", "N", "admin", goodPassword); !strings.Contains(fault.MessageOf(err), "owner, manager, staff") {
			t.Errorf("bad role message %q does not list the roles", fault.MessageOf(err))
		}
	})
}
