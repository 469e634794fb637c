package customer

import (
	"context"

	"agora/internal/loginlimit"
)

// Login throttling counts failures per account ("account:<email>") and per
// client address ("client:<ip>") in package loginlimit, shared by every app
// instance and by staff logins (which use keys of their own).

func (s *Service) limiter() *loginlimit.Limiter {
	return &loginlimit.Limiter{DB: s.DB, Window: s.FailureWindow}
}

// guard throttles shopper logins; staff logins have a guard of their own.
func (s *Service) guard() loginlimit.Guard {
	acct, cl := s.MaxFailures, s.ClientMaxFailures
	if acct <= 0 {
		acct = DefaultMaxFailures
	}
	if cl <= 0 {
		cl = DefaultClientMaxFailures
	}
	return loginlimit.Guard{Limiter: s.limiter(), MaxPerAccount: acct, MaxPerClient: cl}
}

// CleanupFailures deletes throttling rows whose window has passed; run it
// beside session.Manager.Cleanup.
func (s *Service) CleanupFailures(ctx context.Context) (int64, error) {
	return s.limiter().Cleanup(ctx, s.now())
}
