// Package customer holds shopper accounts: registration, login with
// throttling, password reset by e-mailed token, and saved addresses. It owns
// customers, customer_addresses and password_resets; password hashing
// belongs to package password, failure counters (login_failures) to package
// loginlimit, sessions to package session and outgoing mail to package mail,
// which it calls inside its own transactions.
package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"agora/internal/fault"
	"agora/internal/store"
)

// Customer is an account, without its password hash.
type Customer struct {
	ID        int64
	Email     string // lower-case
	Name      string
	CreatedAt time.Time
}

// Defaults of Service's zero fields.
const (
	DefaultResetTTL          = time.Hour
	DefaultMaxFailures       = 5  // per account per window
	DefaultClientMaxFailures = 20 // per client address per window
	DefaultFailureWindow     = 15 * time.Minute
)

// Service runs account use cases. Its zero fields have working defaults.
type Service struct {
	DB       *store.DB
	Now      func() time.Time // if nil, time.Now
	ResetTTL time.Duration    // lifetime of a reset link; if zero, 1h
	// MaxFailures is how many failed logins an account may have within
	// FailureWindow before further attempts are refused; if zero, 5.
	MaxFailures int
	// ClientMaxFailures is the same per client address (one attacker trying
	// many accounts); if zero, 20.
	ClientMaxFailures int
	// FailureWindow is the throttling window; if zero, 15 minutes.
	FailureWindow time.Duration
	// MaxSignUps is how many sign-ups one client address may send within
	// FailureWindow; if zero, DefaultMaxSignUps.
	MaxSignUps int
	// MaxResetsPerClient is how many password reset requests one client
	// address may send within FailureWindow; if zero,
	// DefaultMaxResetsPerClient.
	MaxResetsPerClient int
	// PublicURL is the store's origin, such as "https://shop.example",
	// and the only base of links in the mails this service sends: a link
	// built from a request's Host would go wherever the requester chose
	// (issue 9). Without it, no reset mail is sent.
	PublicURL string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// link is the absolute URL of path under PublicURL.
func (s *Service) link(path string) string {
	return strings.TrimSuffix(s.PublicURL, "/") + path
}

// normEmail is the form stored in customers.email: one account per address
// whatever the case a shopper types.
func normEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ByID returns a customer, or fault.NotFound.
func (s *Service) ByID(ctx context.Context, id int64) (Customer, error) {
	return s.scanOne(s.DB.QueryRow(ctx, `SELECT id, email, name, created_at FROM customers WHERE id = $1`, id))
}

func (s *Service) scanOne(row interface{ Scan(...any) error }) (Customer, error) {
	var c Customer
	err := row.Scan(&c.ID, &c.Email, &c.Name, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, fault.New(fault.NotFound, "No such customer.")
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: read: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}
