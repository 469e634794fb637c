package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestNextNeverLeavesTheAdmin: whatever "next" says, signing in sends staff
// to a page of the admin (issue 9: next=/%09/evil.example/x).
func TestNextNeverLeavesTheAdmin(t *testing.T) {
	hostile := []string{
		"/admin/\t/x", "/\t/evil.example/x", "/admin/%09/x", "/admin/\u00a0", "/admin/\xff",
		"/%2F%2Fevil.example/admin/", "/admin/%5Cevil.example", "/admin/../account",
		"//evil.example/admin/", "/\\evil.example/admin/", "https://evil.example/admin/", "/account", "admin/",
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		email := s.user(t, staff.Owner)
		b := s.browser(t)
		b.postOK("/admin/login", url.Values{"email": {email}, "password": {password}, "next": {"/admin/\t/evil.example/x"}}, "/admin/")
		if loc := b.post("/admin/logout", url.Values{}).header.Get("Location"); loc != "/admin/login" {
			t.Fatalf("logout to %q", loc)
		}
		b.postOK("/admin/login", url.Values{"email": {email}, "password": {password}}, "/admin/")
		for _, next := range hostile {
			res := b.get("/admin/login?next=" + url.QueryEscape(next))
			if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/admin/" {
				t.Errorf("GET login, next=%q: %d to %q, want 303 to /admin/", next, res.status, loc)
			}
		}
	})
}
