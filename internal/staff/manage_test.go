package staff_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"agora/internal/fault"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// session logs st in and returns a request that carries its cookie.
func session(t *testing.T, s *staff.Service, st staff.Staff) *http.Request {
	t.Helper()
	w := httptest.NewRecorder()
	if err := s.Login(context.Background(), w, httptest.NewRequest("POST", "/admin/login", nil), st.ID); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/admin/", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

// TestDisableStopsSessionsAndKeys: a disabled manager's open session and
// API key fail on their next use; re-enabled, the key works again and the
// session is gone for good (a new login is needed).
func TestDisableStopsSessionsAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db)
		ctx := context.Background()
		owner := mustCreate(t, s, "owner@example.com", staff.Owner)
		m := mustCreate(t, s, "manager@example.com", staff.Manager)
		r := session(t, s, m)
		key, _ := mustKey(t, s, m)
		if _, err := s.FromSession(r); err != nil {
			t.Fatalf("the manager's session before: %v", err)
		}
		if err := s.SetDisabled(ctx, owner, m.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FromSession(r); err == nil {
			t.Error("a disabled manager's open session still works")
		}
		if _, err := s.ByAPIKey(ctx, key); err == nil {
			t.Error("a disabled manager's API key still works")
		}
		if _, err := s.Authenticate(ctx, m.Email, goodPassword, ""); err == nil {
			t.Error("a disabled manager can still sign in")
		}
		if err := s.SetDisabled(ctx, owner, m.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ByAPIKey(ctx, key); err != nil {
			t.Errorf("the key of a re-enabled manager: %v", err)
		}
		if _, err := s.FromSession(r); err == nil {
			t.Error("a session ended by disabling came back with the account")
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 || list[0].Role != staff.Owner || list[1].Disabled() {
			t.Errorf("list: %+v, %v; want the owner first, the manager active", list, err)
		}
	})
}

// TestTheStoreKeepsAnOwner: the last active owner can be neither demoted
// nor disabled, nobody changes their own role or disables themselves, and
// two owners demoting each other at once leave one owner.
func TestTheStoreKeepsAnOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db)
		ctx := context.Background()
		a := mustCreate(t, s, "a@example.com", staff.Owner)
		nobody := staff.Staff{} // the service checks the rule, the middleware who may ask
		for name, err := range map[string]error{
			"demote the last owner":  s.SetRole(ctx, nobody, a.ID, staff.Manager),
			"disable the last owner": s.SetDisabled(ctx, nobody, a.ID, true),
			"change one's own role":  s.SetRole(ctx, a, a.ID, staff.Manager),
			"disable oneself":        s.SetDisabled(ctx, a, a.ID, true),
		} {
			if fault.CodeOf(err) != fault.Conflict {
				t.Errorf("%s: %v, want a conflict", name, err)
			}
		}
		if err := s.SetRole(ctx, a, 9999, staff.Manager); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("an account that does not exist: %v, want not found", err)
		}
		if err := s.SetRole(ctx, a, a.ID+1, "king"); fault.FieldOf(err) != "role" {
			t.Errorf("an unknown role: %v, want a role error", err)
		}

		b := mustCreate(t, s, "b@example.com", staff.Owner)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		wg.Go(func() { <-start; errs[0] = s.SetRole(ctx, b, a.ID, staff.Manager) })
		wg.Go(func() { <-start; errs[1] = s.SetRole(ctx, a, b.ID, staff.Manager) })
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case fault.CodeOf(err) != fault.Conflict:
				t.Errorf("demoting each other: %v", err)
			}
		}
		owners := 0
		list, _ := s.List(ctx)
		for _, acc := range list {
			if acc.Role == staff.Owner {
				owners++
			}
		}
		if ok != 1 || owners != 1 {
			t.Errorf("two owners demoting each other at once: %d succeeded, %d owners left; want 1 and 1 (%v)", ok, owners, errs)
		}
	})
}

// TestInvite: an invited account gets a generated password that signs in.
func TestInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := newService(db)
		st, pw, err := s.Invite(context.Background(), "new@example.com", "New Clerk", staff.Clerk)
		if err != nil || len(pw) < 20 {
			t.Fatalf("invite: %v, password %d characters", err, len(pw))
		}
		if got, err := s.Authenticate(context.Background(), "new@example.com", pw, ""); err != nil || got.ID != st.ID || got.Role != staff.Clerk {
			t.Errorf("signing in with the generated password: %+v, %v", got, err)
		}
	})
}
