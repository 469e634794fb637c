package customer

import (
	"context"

	"agora/internal/loginlimit"
)

// Login throttling counts failures per account ("account:<email>") and per
// client address ("client:<ip>") in package loginlimit, shared by every app
// instance and by staff logins (which use keys of their own).

func accountKey(email string) string { return loginlimit.Key("account", email) }
func clientKey(client string) string { return loginlimit.Key("client", client) }

func (s *Service) limiter() *loginlimit.Limiter {
	return &loginlimit.Limiter{DB: s.DB, Window: s.FailureWindow}
}

// limits returns the counters one attempt is checked against, the
// account's first.
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

// CleanupFailures deletes throttling rows whose window has passed; run it
// beside session.Manager.Cleanup.
func (s *Service) CleanupFailures(ctx context.Context) (int64, error) {
	return s.limiter().Cleanup(ctx, s.now())
}
