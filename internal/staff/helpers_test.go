package staff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/fault"
	"agora/internal/staff"
	"agora/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newService(db *store.DB) (*staff.Service, *clocktest.Clock) {
	clk := clocktest.New(t0)
	return &staff.Service{DB: db, Now: clk.Now}, clk
}

const goodPassword = "correct horse battery"

func mustCreate(t *testing.T, s *staff.Service, email string, role staff.Role) staff.Staff {
	t.Helper()
	st, err := s.Create(context.Background(), email, "Grace Hopper", role, goodPassword)
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return st
}

func mustKey(t *testing.T, s *staff.Service, st staff.Staff) (string, staff.APIKey) {
	t.Helper()
	plain, k, err := s.CreateAPIKey(context.Background(), st.ID, "test key")
	if err != nil {
		t.Fatalf("create API key for %s: %v", st.Email, err)
	}
	return plain, k
}

// fields returns the field names of every fault.Error in err (joined or not).
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *fault.Error
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
