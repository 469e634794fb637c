package customer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/session"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

const resetURL = "https://shop.example/account/reset/"

var tokenInMail = regexp.MustCompile(regexp.QuoteMeta(resetURL) + `([A-Za-z0-9_-]+)`)

// outbox returns the recipients, subjects and bodies queued so far.
func outbox(t *testing.T, db *store.DB) (to, subjects, bodies []string) {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT recipient, subject, body_text FROM email_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b, c string
		if err := rows.Scan(&a, &b, &c); err != nil {
			t.Fatal(err)
		}
		to, subjects, bodies = append(to, a), append(subjects, b), append(bodies, c)
	}
	return to, subjects, bodies
}

// lastToken reads the reset token from the newest queued mail.
func lastToken(t *testing.T, db *store.DB) string {
	t.Helper()
	_, _, bodies := outbox(t, db)
	if len(bodies) == 0 {
		t.Fatal("no mail queued")
	}
	m := tokenInMail.FindStringSubmatch(bodies[len(bodies)-1])
	if m == nil {
		t.Fatalf("no reset link in %q", bodies[len(bodies)-1])
	}
	return m[1]
}

func loginCookie(t *testing.T, m *session.Manager, id int64) string {
	t.Helper()
	w := httptest.NewRecorder()
	if _, err := m.Login(context.Background(), w, httptest.NewRequest("POST", "/login", nil), id, nil); err != nil {
		t.Fatal(err)
	}
	return w.Result().Cookies()[0].Value
}

func lookup(m *session.Manager, value string) error {
	r := httptest.NewRequest("GET", "/account", nil)
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: value})
	_, err := m.Lookup(r)
	return err
}

func TestPasswordResetFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := newService(db)
		sessions := &session.Manager{DB: db, Now: clk.Now}
		ada := register(t, s, "ada@example.com")
		bob := register(t, s, "bob@example.com")
		adaPhone, adaLaptop := loginCookie(t, sessions, ada.ID), loginCookie(t, sessions, ada.ID)
		bobs := loginCookie(t, sessions, bob.ID)

		// Unknown and malformed addresses.
		if err := s.RequestPasswordReset(ctx, "nobody@example.com", ""); err != nil {
			t.Fatalf("unknown email: %v", err)
		}
		if err := s.RequestPasswordReset(ctx, "not an email", ""); fault.FieldOf(err) != "email" {
			t.Fatalf("malformed email: %v", err)
		}
		if to, _, _ := outbox(t, db); len(to) != 0 {
			t.Fatalf("mail queued for an unknown address: %v", to)
		}

		if err := s.RequestPasswordReset(ctx, " ADA@example.com ", ""); err != nil {
			t.Fatal(err)
		}
		to, subjects, bodies := outbox(t, db)
		if len(to) != 1 || to[0] != "ada@example.com" || subjects[0] != "Reset your password" || !strings.Contains(bodies[0], "Ada Lovelace") {
			t.Fatalf("queued %v %v %v", to, subjects, bodies)
		}
		token := lastToken(t, db)
		var stored int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM password_resets WHERE token_hash = $1`, token).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("the raw token is stored (%d, %v)", stored, err)
		}

		// A bad new password does not spend the token.
		if _, err := s.ResetPassword(ctx, token, "short"); fault.FieldOf(err) != "password" {
			t.Fatalf("short password: %v", err)
		}
		clk.Advance(30 * time.Minute)
		c, err := s.ResetPassword(ctx, token, "a brand new password")
		if err != nil || c.ID != ada.ID {
			t.Fatalf("ResetPassword = %+v, %v", c, err)
		}
		for _, v := range []string{adaPhone, adaLaptop} {
			if err := lookup(sessions, v); fault.CodeOf(err) != fault.NotFound {
				t.Errorf("ada's old session survived the reset: %v", err)
			}
		}
		if err := lookup(sessions, bobs); err != nil {
			t.Errorf("bob was logged out by ada's reset: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", goodPassword, ""); fault.CodeOf(err) != fault.Unauthorized {
			t.Errorf("old password still works: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ada@example.com", "a brand new password", ""); err != nil {
			t.Errorf("new password refused: %v", err)
		}
		// Single use.
		if _, err := s.ResetPassword(ctx, token, "yet another password"); fault.FieldOf(err) != "token" || fault.CodeOf(err) != fault.Invalid {
			t.Errorf("second use: %v", err)
		}

		// Expiry: a token one second past its hour is refused.
		if err := s.RequestPasswordReset(ctx, "bob@example.com", ""); err != nil {
			t.Fatal(err)
		}
		expired := lastToken(t, db)
		clk.Advance(customer.DefaultResetTTL + time.Second)
		if _, err := s.ResetPassword(ctx, expired, "a brand new password"); fault.FieldOf(err) != "token" {
			t.Errorf("expired token: %v", err)
		}
		if _, err := s.Authenticate(ctx, "bob@example.com", goodPassword, ""); err != nil {
			t.Errorf("bob's password changed by an expired token: %v", err)
		}

		// Garbage tokens.
		for _, tok := range []string{"", "abc", strings.Repeat("A", 43), "../../etc/passwd", token + "A"} {
			if _, err := s.ResetPassword(ctx, tok, "a brand new password"); fault.FieldOf(err) != "token" {
				t.Errorf("token %q: %v", tok, err)
			}
		}
	})
}

func TestResetOtherTokensDieAndRequestsAreCapped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := newService(db)
		register(t, s, "ada@example.com")
		var tokens []string
		for range 5 {
			if err := s.RequestPasswordReset(ctx, "ada@example.com", ""); err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, lastToken(t, db))
			clk.Advance(time.Minute)
		}
		if to, _, _ := outbox(t, db); len(to) != 3 {
			t.Fatalf("%d reset mails in 5 minutes, want 3 (the hourly cap)", len(to))
		}
		if _, err := s.ResetPassword(ctx, tokens[1], "a brand new password"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, tokens[0], "another new password"); fault.FieldOf(err) != "token" {
			t.Errorf("an older token still works after a reset: %v", err)
		}
		clk.Advance(time.Hour)
		if err := s.RequestPasswordReset(ctx, "ada@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if to, _, _ := outbox(t, db); len(to) != 4 {
			t.Errorf("no mail an hour later (%d queued)", len(to))
		}
	})
}

// TestResetNeedsPublicURL (issue 9): without a configured public URL no
// reset mail goes out, since its link could only come from a request.
func TestResetNeedsPublicURL(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	s, _ := newService(db)
	register(t, s, "ada@example.com")
	s.PublicURL = ""
	err := s.RequestPasswordReset(ctx, "ada@example.com", "")
	if fault.CodeOf(err) != fault.Unavailable || !strings.Contains(fault.MessageOf(err), "--public-url") {
		t.Errorf("err = %v; want unavailable, naming --public-url", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM password_resets`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d reset tokens stored (%v)", n, err)
	}
}

// TestCleanupResets: expired reset tokens go, live ones stay and still work.
func TestCleanupResets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := newService(db)
		register(t, s, "ada@example.com")
		register(t, s, "bob@example.com")
		if err := s.RequestPasswordReset(ctx, "ada@example.com", ""); err != nil {
			t.Fatal(err)
		}
		clk.Advance(customer.DefaultResetTTL - time.Minute)
		if err := s.RequestPasswordReset(ctx, "bob@example.com", ""); err != nil {
			t.Fatal(err)
		}
		live := lastToken(t, db)
		clk.Advance(2 * time.Minute) // ada's has expired, bob's has not
		if n, err := s.CleanupResets(ctx); err != nil || n != 1 {
			t.Fatalf("CleanupResets = %d, %v; want 1", n, err)
		}
		if n, err := s.CleanupResets(ctx); err != nil || n != 0 {
			t.Errorf("second CleanupResets = %d, %v", n, err)
		}
		if _, err := s.ResetPassword(ctx, live, "a brand new password"); err != nil {
			t.Errorf("the live token no longer works: %v", err)
		}
	})
}

// TestResetRequestsAreCappedPerClient (issue 16): one client address asking
// for resets of many accounts is refused past MaxResetsPerClient, whatever
// the accounts (known or not, so the refusal tells nothing about them),
// and mails nobody more; another address still may ask.
func TestResetRequestsAreCappedPerClient(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	s, _ := newService(db)
	s.MaxResetsPerClient = 4
	for _, e := range []string{"a@example.com", "b@example.com"} {
		register(t, s, e)
	}
	for i, e := range []string{"a@example.com", "nobody@example.com", "b@example.com", "ghost@example.com"} {
		if err := s.RequestPasswordReset(ctx, e, "192.0.2.1"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	for _, e := range []string{"a@example.com", "unknown@example.com"} {
		if err := s.RequestPasswordReset(ctx, e, "192.0.2.1"); fault.CodeOf(err) != fault.RateLimited {
			t.Errorf("fifth request from one address (%s): %v, want rate_limited", e, err)
		}
	}
	if to, _, _ := outbox(t, db); len(to) != 2 {
		t.Errorf("%d reset mails, want 2 (the two known accounts, before the cap)", len(to))
	}
	if err := s.RequestPasswordReset(ctx, "b@example.com", "192.0.2.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
}
