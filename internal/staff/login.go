package staff

import (
	"context"
	"fmt"

	"agora/internal/fault"
	"agora/internal/loginlimit"
)

var (
	errWrongLogin = fault.New(fault.Unauthorized, "Email or password is wrong.")
	errThrottled  = fault.New(fault.RateLimited, "Too many failed logins. Please wait a few minutes and try again.")
)

// Staff counters are apart from shoppers' ("staff:" keys): a storm of
// guesses at the shop's login never locks the owner out of the admin.
func (s *Service) guard() loginlimit.Guard {
	acct, cl := s.MaxFailures, s.ClientMaxFailures
	if acct <= 0 {
		acct = DefaultMaxFailures
	}
	if cl <= 0 {
		cl = DefaultClientMaxFailures
	}
	return loginlimit.Guard{Limiter: &loginlimit.Limiter{DB: s.DB, Window: s.FailureWindow},
		Kind: "staff:", MaxPerAccount: acct, MaxPerClient: cl}
}

// Authenticate checks a staff login. Unknown email, disabled account and
// wrong password give the same fault.Unauthorized after the same work (one
// argon2id verification and one write counting the failure). client is the
// caller's address for per-client throttling ("" skips it). When the
// account or the client has too many recent failures it answers
// fault.RateLimited without checking the password. A success clears the
// account's failures, not the client's, and rehashes a password hashed
// at a lower cost than today's.
func (s *Service) Authenticate(ctx context.Context, email, pw, client string) (Staff, error) {
	email = normEmail(email)
	var st Staff
	g := s.guard()
	g.Rehash = loginlimit.RehashIn(s.DB, "staff", email)
	outcome, err := g.Attempt(ctx, s.now(), email, client, pw, func() (string, error) {
		var hash string
		var err error
		st, err = scanStaff(s.DB.QueryRow(ctx, `SELECT `+staffColumns+`, s.password_hash FROM staff s
			WHERE s.email = $1 AND s.disabled_at IS NULL`, email), &hash)
		return hash, err
	})
	switch {
	case err != nil:
		return Staff{}, fmt.Errorf("staff: %w", err)
	case outcome == loginlimit.Blocked:
		return Staff{}, errThrottled
	case outcome == loginlimit.Refused:
		return Staff{}, errWrongLogin
	}
	return st, nil
}
