package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/loginlimit"
	"agora/internal/password"
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
// otherwise one valid account would reset an attacker's budget).
func (s *Service) Authenticate(ctx context.Context, email, pw, client string) (Customer, error) {
	email = normEmail(email)
	now := s.now()
	lim := s.limiter()
	limits := s.limits(email, client)
	counts, blocked, err := lim.Check(ctx, now, limits...)
	if err != nil {
		return Customer{}, fmt.Errorf("customer: %w", err)
	}
	if blocked {
		return Customer{}, errThrottled
	}

	c, hash, err := s.byEmail(ctx, email)
	if fault.CodeOf(err) == fault.NotFound {
		password.Dummy(pw)
		return Customer{}, s.failed(ctx, lim, now, limits)
	}
	if err != nil {
		return Customer{}, err
	}
	ok, err := password.Verify(hash, pw)
	if err != nil {
		return Customer{}, fmt.Errorf("customer: account %d: %w", c.ID, err)
	}
	if !ok {
		return Customer{}, s.failed(ctx, lim, now, limits)
	}
	if counts[0] > 0 { // the account's counter
		if err := lim.Clear(ctx, limits[0].Key); err != nil {
			return Customer{}, fmt.Errorf("customer: %w", err)
		}
	}
	return c, nil
}

// failed counts a failed attempt against every limit and returns the one
// answer to a wrong email or password.
func (s *Service) failed(ctx context.Context, lim *loginlimit.Limiter, now time.Time, limits []loginlimit.Limit) error {
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = l.Key
	}
	if err := lim.Fail(ctx, now, keys...); err != nil {
		return fmt.Errorf("customer: %w", err)
	}
	return errWrongLogin
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
