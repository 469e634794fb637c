package loginlimit

import (
	"context"
	"time"

	"agora/internal/fault"
	"agora/internal/password"
)

// Guard throttles one kind of login (shoppers, staff): failures count per
// account and per client address, under keys "<Kind>account:…" and
// "<Kind>client:…", so kinds never share a budget.
type Guard struct {
	Limiter       *Limiter
	Kind          string // key prefix: "" for shoppers, "staff:" for staff
	MaxPerAccount int
	MaxPerClient  int
}

// AccountKey is the counter of one account (reset flows clear it).
func (g Guard) AccountKey(email string) string { return Key(g.Kind+"account", email) }

func (g Guard) limits(email, client string) []Limit {
	l := []Limit{{Key: g.AccountKey(email), Max: g.MaxPerAccount}}
	if client != "" {
		l = append(l, Limit{Key: Key(g.Kind+"client", client), Max: g.MaxPerClient})
	}
	return l
}

// Outcome of an attempt.
type Outcome int

const (
	Accepted Outcome = iota
	Refused          // wrong email or password: counted against both keys
	Blocked          // too many recent failures: verify was not called
)

// Attempt checks the limits, looks the account's password hash up (lookup
// answers fault.NotFound for an unknown account), verifies pw against it —
// against a dummy hash for unknown accounts, so both cost the same and
// timing tells nothing — counts a failure against the account and the
// client, and on success clears the account's counter (not the client's, or
// one valid account would reset an attacker's budget).
func (g Guard) Attempt(ctx context.Context, now time.Time, email, client, pw string, lookup func() (hash string, err error)) (Outcome, error) {
	limits := g.limits(email, client)
	counts, blocked, err := g.Limiter.Check(ctx, now, limits...)
	if err != nil {
		return Refused, err
	}
	if blocked {
		return Blocked, nil
	}
	ok, err := verify(pw, lookup)
	if err != nil {
		return Refused, err
	}
	if !ok {
		keys := make([]string, len(limits))
		for i, l := range limits {
			keys[i] = l.Key
		}
		return Refused, g.Limiter.Fail(ctx, now, keys...)
	}
	if counts[0] > 0 {
		return Accepted, g.Limiter.Clear(ctx, limits[0].Key)
	}
	return Accepted, nil
}

func verify(pw string, lookup func() (string, error)) (bool, error) {
	hash, err := lookup()
	switch {
	case fault.CodeOf(err) == fault.NotFound:
		password.Dummy(pw)
		return false, nil
	case err != nil:
		return false, err
	}
	return password.Verify(hash, pw)
}
