package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"agora/internal/fault"
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
func (s *Service) Authenticate(ctx context.Context, email, password, client string) (Customer, error) {
	email = normEmail(email)
	now := s.now()
	limits := s.limits(email, client)
	keys := make([]string, 0, len(limits))
	var acctFailures int
	for k, max := range limits {
		keys = append(keys, k)
		n, err := s.failures(ctx, k, now)
		if err != nil {
			return Customer{}, err
		}
		if n >= max {
			return Customer{}, errThrottled
		}
		if k == truncate(accountKey(email)) {
			acctFailures = n
		}
	}
	slices.Sort(keys) // a fixed lock order for the upserts

	c, hash, err := s.byEmail(ctx, email)
	found := err == nil
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return Customer{}, err
	}
	if !found {
		hash = dummyHash()
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return Customer{}, fmt.Errorf("customer: account %d: %w", c.ID, err)
	}
	if !ok || !found {
		if err := s.recordFailure(ctx, keys, now); err != nil {
			return Customer{}, err
		}
		return Customer{}, errWrongLogin
	}
	if acctFailures > 0 {
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return clearKey(ctx, tx, truncate(accountKey(email))) }); err != nil {
			return Customer{}, err
		}
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
