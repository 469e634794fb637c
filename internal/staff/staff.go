// Package staff holds the people who run the store: their accounts and
// roles, what each role may do (Allowed), their logins (throttled like
// shoppers', through package loginlimit), their admin sessions (cookie
// agora_admin) and their API keys for /api/v1/admin/…, and the middleware
// that guards admin pages and endpoints (RequireUI, RequireAPI). It owns the
// staff, staff_sessions and api_keys tables. It must not serve pages or
// endpoints itself: internal/admin and internal/api do, behind its
// middleware. Shopper accounts and sessions are another world
// (internal/customer, internal/session): no staff credential works there
// and no shopper credential works here.
package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/store"
)

// Staff is an account, without its password hash.
type Staff struct {
	ID        int64
	Email     string // lower-case
	Name      string
	Role      Role
	CreatedAt time.Time
}

// Defaults of Service's zero fields.
const (
	DefaultSessionTTL        = 12 * time.Hour
	DefaultMaxFailures       = 5  // per account per window
	DefaultClientMaxFailures = 20 // per client address per window
	DefaultFailureWindow     = 15 * time.Minute
)

// Service runs staff use cases and middleware. Its zero fields have working
// defaults; it is safe for concurrent use.
type Service struct {
	DB  *store.DB
	Now func() time.Time // if nil, time.Now
	// Log records the causes of server-side failures in the middleware.
	// If nil, slog.Default().
	Log *slog.Logger
	// SessionTTL is the fixed lifetime of an admin session, not extended
	// by use: a forgotten browser is logged out within a working day. If
	// zero, 12h.
	SessionTTL time.Duration
	// MaxFailures is how many failed logins an account may have within
	// FailureWindow before further attempts are refused; if zero, 5.
	MaxFailures int
	// ClientMaxFailures is the same per client address; if zero, 20.
	ClientMaxFailures int
	// FailureWindow is the throttling window; if zero, 15 minutes.
	FailureWindow time.Duration
	// Forbidden serves the page RequireUI answers when the role lacks the
	// permission (the staff member is in the request's context); it must
	// write status 403 itself. If nil, a plain page.
	Forbidden http.Handler
	// SecureCookies marks the admin cookie Secure on every response, as
	// when the public URL is https.
	SecureCookies bool
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Input limits, in characters (runes).
const (
	maxEmail = 254 // RFC 5321 path limit
	maxName  = 200
)

// normEmail is the form stored in staff.email: one account per address
// whatever the case typed.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Create adds a staff account. Invalid input gives field errors on "email",
// "name", "role" and "password" (10 to 128 characters), all at once; an
// email that already has an account gives fault.Conflict on "email".
func (s *Service) Create(ctx context.Context, email, name string, role Role, pw string) (Staff, error) {
	email, name = normEmail(email), strings.TrimSpace(name)
	var errs []error
	for _, e := range []*fault.Error{checkEmail(email), checkText("name", "Name", name, maxName), checkRole(role), password.Check(pw)} {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return Staff{}, errors.Join(errs...)
	}
	hash := password.Hash(pw) // before the transaction: CPU must not hold SQLite's single writer
	st := Staff{Email: email, Name: name, Role: role, CreatedAt: s.now()}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO staff (email, name, role, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, st.Email, st.Name, string(st.Role), hash, st.CreatedAt).Scan(&st.ID)
	})
	if store.IsUniqueViolation(err) {
		return Staff{}, &fault.Error{Code: fault.Conflict, Field: "email", Message: "A staff account with this email address already exists."}
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff: create: %w", err)
	}
	return st, nil
}

const staffColumns = `s.id, s.email, s.name, s.role, s.created_at`

var errNoStaff = fault.New(fault.NotFound, "No such staff account.")

// ByID returns an active (not disabled) account, or fault.NotFound.
func (s *Service) ByID(ctx context.Context, id int64) (Staff, error) {
	return scanStaff(s.DB.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff s WHERE s.id = $1 AND s.disabled_at IS NULL`, id))
}

// ByEmail returns an active account by email (any case), or fault.NotFound.
func (s *Service) ByEmail(ctx context.Context, email string) (Staff, error) {
	return scanStaff(s.DB.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff s WHERE s.email = $1 AND s.disabled_at IS NULL`, normEmail(email)))
}

func scanStaff(row interface{ Scan(...any) error }, extra ...any) (Staff, error) {
	var st Staff
	var role string
	err := row.Scan(append([]any{&st.ID, &st.Email, &st.Name, &role, &st.CreatedAt}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, errNoStaff
	}
	if err != nil {
		return Staff{}, fmt.Errorf("staff: read: %w", err)
	}
	st.Role, st.CreatedAt = Role(role), st.CreatedAt.UTC()
	return st, nil
}

// checkText validates one-line free text: valid UTF-8, no control
// characters, present, at most max runes.
func checkText(field, label, v string, max int) *fault.Error {
	switch {
	case !utf8.ValidString(v):
		return fault.Field(field, "%s contains invalid characters.", label)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fault.Field(field, "%s must not contain control characters or line breaks.", label)
	case v == "":
		return fault.Field(field, "%s is required.", label)
	case utf8.RuneCountInString(v) > max:
		return fault.Field(field, "%s is too long (at most %d characters).", label, max)
	}
	return nil
}

// checkEmail validates an already normalized address.
func checkEmail(email string) *fault.Error {
	if e := checkText("email", "Email", email, maxEmail); e != nil {
		return e
	}
	a, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || a.Address != email || at < 1 || !strings.Contains(email[at+1:], ".") || strings.ContainsAny(email, " <>\"") {
		return fault.Field("email", "Enter an email address such as name@example.com.")
	}
	return nil
}
