package staff

import (
	"context"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/loginlimit"
	"agora/internal/password"
)

var (
	errWrongLogin = fault.New(fault.Unauthorized, "Email or password is wrong.")
	errThrottled  = fault.New(fault.RateLimited, "Too many failed logins. Please wait a few minutes and try again.")
)

// Staff counters are apart from shoppers' ("staff:" keys): a storm of
// guesses at the shop's login never locks the owner out of the admin.
func accountKey(email string) string { return loginlimit.Key("staff:account", email) }
func clientKey(client string) string { return loginlimit.Key("staff:client", client) }

func (s *Service) limiter() *loginlimit.Limiter {
	return &loginlimit.Limiter{DB: s.DB, Window: s.FailureWindow}
}

func (s *Service) limits(email, client string) []loginlimit.Limit {
	acct, cl := s.MaxFailures, s.ClientMaxFailures
	if acct <= 0 {
		acct = DefaultMaxFailures
	}
	if cl <= 0 {
		cl = DefaultClientMaxFailures
	}
	l := []loginlimit.Limit{{Key: accountKey(email), Max: acct}}
	if client != "" {
		l = append(l, loginlimit.Limit{Key: clientKey(client), Max: cl})
	}
	return l
}

// Authenticate checks a staff login. Unknown email, disabled account and
// wrong password give the same fault.Unauthorized after the same work (one
// argon2id verification and one write counting the failure). client is the
// caller's address for per-client throttling ("" skips it). When the
// account or the client has too many recent failures it answers
// fault.RateLimited without checking the password. A success clears the
// account's failures, not the client's.
func (s *Service) Authenticate(ctx context.Context, email, pw, client string) (Staff, error) {
	email = normEmail(email)
	now := s.now()
	lim := s.limiter()
	limits := s.limits(email, client)
	counts, blocked, err := lim.Check(ctx, now, limits...)
	if err != nil {
		return Staff{}, fmt.Errorf("staff: %w", err)
	}
	if blocked {
		return Staff{}, errThrottled
	}
	var hash string
	st, err := scanStaff(s.DB.QueryRow(ctx, `SELECT `+staffColumns+`, s.password_hash FROM staff s
		WHERE s.email = $1 AND s.disabled_at IS NULL`, email), &hash)
	if fault.CodeOf(err) == fault.NotFound {
		password.Dummy(pw)
		return Staff{}, s.failed(ctx, lim, now, limits)
	}
	if err != nil {
		return Staff{}, err
	}
	ok, err := password.Verify(hash, pw)
	if err != nil {
		return Staff{}, fmt.Errorf("staff: account %d: %w", st.ID, err)
	}
	if !ok {
		return Staff{}, s.failed(ctx, lim, now, limits)
	}
	if counts[0] > 0 { // the account's counter
		if err := lim.Clear(ctx, limits[0].Key); err != nil {
			return Staff{}, fmt.Errorf("staff: %w", err)
		}
	}
	return st, nil
}

func (s *Service) failed(ctx context.Context, lim *loginlimit.Limiter, now time.Time, limits []loginlimit.Limit) error {
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = l.Key
	}
	if err := lim.Fail(ctx, now, keys...); err != nil {
		return fmt.Errorf("staff: %w", err)
	}
	return errWrongLogin
}
