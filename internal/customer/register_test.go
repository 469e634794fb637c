package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		c, err := s.Register(ctx, "  Ada@Example.COM ", "  Ada Lovelace ", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 || c.Email != "ada@example.com" || c.Name != "Ada Lovelace" || !c.CreatedAt.Equal(t0) {
			t.Errorf("registered %+v", c)
		}
		if got, err := s.ByID(ctx, c.ID); err != nil || got != c {
			t.Errorf("ByID = %+v, %v; want %+v", got, err, c)
		}
		var hash string
		if err := db.QueryRow(ctx, `SELECT password_hash FROM customers WHERE id = $1`, c.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, goodPassword) {
			t.Errorf("stored hash %q", hash)
		}

		tests := []struct {
			name, email, cname, password string
			code                         fault.Code
			fields                       []string
		}{
			{"duplicate in another case", "ADA@example.com", "Ada", goodPassword, fault.Conflict, []string{"email"}},
			{"empty email", "", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"no at sign", "ada.example.com", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"no domain dot", "ada@localhost", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"display name", "Ada <ada2@example.com>", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"two addresses", "a@example.com, b@example.com", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"header injection", "a@example.com\r\nBcc: b@example.com", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"email too long", strings.Repeat("a", 250) + "@example.com", "Ada", goodPassword, fault.Invalid, []string{"email"}},
			{"5,000-character name", "b@example.com", strings.Repeat("n", 5000), goodPassword, fault.Invalid, []string{"name"}},
			{"invalid UTF-8 name", "b@example.com", "Ada \xff\xfe", goodPassword, fault.Invalid, []string{"name"}},
			{"control characters in name", "b@example.com", "Ada\x00Lovelace", goodPassword, fault.Invalid, []string{"name"}},
			{"line break in name", "b@example.com", "Ada\nBcc: x", goodPassword, fault.Invalid, []string{"name"}},
			{"blank name", "b@example.com", "   ", goodPassword, fault.Invalid, []string{"name"}},
			{"short password", "b@example.com", "Ada", "short", fault.Invalid, []string{"password"}},
			{"nine characters", "b@example.com", "Ada", "123456789", fault.Invalid, []string{"password"}},
			{"129 characters", "b@example.com", "Ada", strings.Repeat("p", 129), fault.Invalid, []string{"password"}},
			{"invalid UTF-8 password", "b@example.com", "Ada", "password\xff\xff\xff", fault.Invalid, []string{"password"}},
			{"everything wrong at once", "nope", "", "x", fault.Invalid, []string{"email", "name", "password"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Register(ctx, tc.email, tc.cname, tc.password)
				if fault.CodeOf(err) != tc.code || !slices.Equal(fields(err), tc.fields) {
					t.Fatalf("Register = %v (fields %v); want %s on %v", err, fields(err), tc.code, tc.fields)
				}
				if msg := fault.MessageOf(err); msg == "" || len(tc.password) >= 5 && strings.Contains(msg, tc.password) {
					t.Errorf("message %q", msg)
				}
			})
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM customers`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d customers after the bad registrations, want 1 (%v)", n, err)
		}
		// Boundaries that must pass: 10 and 128 characters, non-ASCII names.
		for i, pw := range []string{"1234567890", strings.Repeat("ü", 128)} {
			email := []string{"ten@example.com", "long@example.com"}[i]
			if _, err := s.Register(ctx, email, "Zoë Ærøskøbing", pw); err != nil {
				t.Errorf("password of %d characters: %v", len([]rune(pw)), err)
			}
		}
		if _, err := s.ByID(ctx, 999999); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("ByID(unknown) = %v", err)
		}
	})
}

func TestDuplicateMessageIsNeutral(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s := &customer.Service{DB: db}
	register(t, s, "ada@example.com")
	_, err := s.Register(context.Background(), "ada@example.com", "Ada", goodPassword)
	if msg := fault.MessageOf(err); strings.Contains(strings.ToLower(msg), "already") || strings.Contains(msg, "ada@example.com") {
		t.Errorf("duplicate message %q should not echo or confirm the address", msg)
	}
}

// TestSignUpTellsNobody (issue 9, item 12): signing up with a known address
// answers exactly as with a new one; the owner of the address learns of it
// by mail, and the account is left as it was.
func TestSignUpTellsNobody(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		ada := register(t, s, "ada@example.com")
		errNew := s.SignUp(ctx, "kim@example.com", "Kim", goodPassword, "192.0.2.1")
		errKnown := s.SignUp(ctx, "ADA@example.com", "Eve", "another long password", "192.0.2.1")
		if errNew != nil || errKnown != nil {
			t.Fatalf("SignUp: new %v, known %v; want nil for both", errNew, errKnown)
		}
		if _, err := s.Authenticate(ctx, "kim@example.com", goodPassword, ""); err != nil {
			t.Errorf("the new account cannot log in: %v", err)
		}
		if c, err := s.Authenticate(ctx, "ada@example.com", goodPassword, ""); err != nil || c.Name != ada.Name {
			t.Errorf("the known account changed: %+v, %v", c, err)
		}
		to, _, bodies := outbox(t, db)
		mails := map[string]string{}
		for i := range to {
			mails[to[i]] += bodies[i]
		}
		if len(mails) != 2 ||
			!strings.Contains(mails["kim@example.com"], "https://shop.example/account/login") ||
			!strings.Contains(mails["ada@example.com"], "already has one") ||
			!strings.Contains(mails["ada@example.com"], "https://shop.example/account/reset") {
			t.Errorf("mails %q; want a welcome to kim and a notice with links to ada", mails)
		}
	})
}

// TestSignUpThrottled: sign-ups are limited per client address, and the
// notices one account gets are capped without changing the answer.
func TestSignUpThrottled(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	s, _ := newService(db)
	s.MaxSignUps = 5
	register(t, s, "ada@example.com")
	for i := range 5 {
		if err := s.SignUp(ctx, "ada@example.com", "Eve", goodPassword, "192.0.2.1"); err != nil {
			t.Fatalf("sign-up %d: %v", i+1, err)
		}
	}
	if err := s.SignUp(ctx, "new@example.com", "Eve", goodPassword, "192.0.2.1"); fault.CodeOf(err) != fault.RateLimited {
		t.Errorf("sixth sign-up from one address: %v, want rate_limited", err)
	}
	if err := s.SignUp(ctx, "new@example.com", "Eve", goodPassword, "192.0.2.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM email_outbox WHERE recipient = 'ada@example.com'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d notices to the known address (%v), want 3", n, err)
	}
}
