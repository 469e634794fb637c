package loginlimit

import (
	"context"
	"database/sql"
	"time"

	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/store"
)

// Guard throttles one kind of login (shoppers, staff): failures count per
// account and per client address, under keys "<Kind>account:…" and
// "<Kind>client:…", so kinds never share a budget.
type Guard struct {
	Limiter       *Limiter
	Kind          string // key prefix: "" for shoppers, "staff:" for staff
	MaxPerAccount int
	MaxPerClient  int
	// Rehash, if set, replaces an account's hash old with new after a
	// successful login whose hash was made at a lower cost than today's
	// (password.NeedsRehash): raising the cost reaches every account that
	// logs in, without a reset. It should change nothing if the stored
	// hash is no longer old (a reset won the race).
	Rehash func(ctx context.Context, old, new string) error
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

// Attempt counts the attempt against the account and the client first
// (Limiter.Take: blocked at the limit before any password work, however many
// attempts run in parallel), then looks the account's password hash up
// (lookup answers fault.NotFound for an unknown account) and verifies pw
// against it — against a dummy hash for unknown accounts, so both cost the
// same and timing tells nothing. A failure stays counted. A success clears
// the account's counter and gives the client's attempt back (not more: one
// valid account must not reset an attacker's budget).
func (g Guard) Attempt(ctx context.Context, now time.Time, email, client, pw string, lookup func() (hash string, err error)) (Outcome, error) {
	limits := g.limits(email, client)
	_, blocked, err := g.Limiter.Take(ctx, now, limits...)
	if err != nil {
		return Refused, err
	}
	if blocked {
		return Blocked, nil
	}
	hash, ok, err := verify(pw, lookup)
	if err != nil {
		return Refused, err
	}
	if !ok {
		return Refused, nil
	}
	if g.Rehash != nil && password.NeedsRehash(hash) {
		if err := g.Rehash(ctx, hash, password.Hash(pw)); err != nil {
			return Refused, err
		}
	}
	var refund []string
	for _, l := range limits[1:] {
		refund = append(refund, l.Key)
	}
	return Accepted, g.Limiter.Forgive(ctx, []string{limits[0].Key}, refund)
}

func verify(pw string, lookup func() (string, error)) (hash string, ok bool, err error) {
	hash, err = lookup()
	switch {
	case fault.CodeOf(err) == fault.NotFound:
		password.Dummy(pw)
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	ok, err = password.Verify(hash, pw)
	return hash, ok, err
}

// RehashIn is a Guard.Rehash for an account of table (customers, staff: a
// constant, never input) found by email, its hash in password_hash. The
// new hash is stored only if the old one is still there: a reset or a
// password change that won the race keeps its own.
func RehashIn(db *store.DB, table, email string) func(ctx context.Context, old, new string) error {
	return func(ctx context.Context, old, new string) error {
		return db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET password_hash = $1 WHERE email = $2 AND password_hash = $3`, new, email, old)
			return err
		})
	}
}
