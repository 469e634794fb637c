package api_test

import (
	"testing"

	"agora/internal/session"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestRegisterTellsNobody (issue 9, item 12): POST /api/v1/customers answers
// a known address exactly as a new one — same status, same body, no
// session either way — so it cannot be used to find out who has an account.
func TestRegisterTellsNobody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		s.register(t, "ada@example.com")
		known := s.shopper().call(t, "POST", "/api/v1/customers", map[string]string{
			"email": "ada@example.com", "name": "Eve", "password": "another long password"})
		fresh := s.shopper().call(t, "POST", "/api/v1/customers", map[string]string{
			"email": "kim@example.com", "name": "Kim", "password": "correct horse battery"})
		if known.status != fresh.status || string(known.body) != string(fresh.body) {
			t.Errorf("known address: %d %s; new address: %d %s; want the same answer", known.status, known.body, fresh.status, fresh.body)
		}
		if fresh.status != 202 {
			t.Errorf("status %d, want 202", fresh.status)
		}
		for _, r := range []response{known, fresh} {
			if cookieNamed(r.header, session.CookieName) != nil {
				t.Errorf("registration set a session cookie: %v", r.header.Values("Set-Cookie"))
			}
		}
		// The new account logs in as usual.
		expect(t, "login after registering", s.shopper().login(t, "kim@example.com"), 200)
	})
}
