package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"agora/internal/fault"
	"agora/internal/loginlimit"
)

var (
	errWrongLogin = fault.New(fault.Unauthorized, "Email or password is wrong.")
	errThrottled  = fault.New(fault.RateLimited, "Too many failed logins. Please wait a few minutes and try again, or reset your password.")
)

// Authenticate checks a login. Unknown email and wrong password give the
// same fault.Unauthorized, after the same work (an argon2id verification,
// against a dummy hash for unknown emails, and one write counting the
// failure). client is the shopper's address (for per-client throttling;
// "" skips it). When the account or the client has too many recent
// failures, it answers fault.RateLimited without checking the password.
// A successful login clears the account's failures (not the client's:
// otherwise one valid account would reset an attacker's budget), and
// rehashes a password hashed at a lower cost than today's.
func (s *Service) Authenticate(ctx context.Context, email, pw, client string) (Customer, error) {
	email = normEmail(email)
	var c Customer
	g := s.guard()
	g.Rehash = loginlimit.RehashIn(s.DB, "customers", email)
	outcome, err := g.Attempt(ctx, s.now(), email, client, pw, func() (string, error) {
		var hash string
		var err error
		c, hash, err = s.byEmail(ctx, email)
		return hash, err
	})
	switch {
	case err != nil:
		return Customer{}, fmt.Errorf("customer: %w", err)
	case outcome == loginlimit.Blocked:
		return Customer{}, errThrottled
	case outcome == loginlimit.Refused:
		return Customer{}, errWrongLogin
	}
	return c, nil
}

func (s *Service) byEmail(ctx context.Context, email string) (Customer, string, error) {
	var c Customer
	var hash string
	err := s.DB.QueryRow(ctx, `SELECT id, email, name, created_at, password_hash FROM customers WHERE email = $1`, email).
		Scan(&c.ID, &c.Email, &c.Name, &c.CreatedAt, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, "", fault.New(fault.NotFound, "No such customer.")
	}
	if err != nil {
		return Customer{}, "", fmt.Errorf("customer: read: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, hash, nil
}
