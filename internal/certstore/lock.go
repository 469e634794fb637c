package certstore

import (
	"context"
	"fmt"
	"time"

	"agora/internal/store"
)

// Locks are leases: TryLock takes name for owner until now+ttl, and the
// holder renews before that (Renew) for as long as it works. A lock whose
// lease ran out is free, so an edge that died holding one (obtaining a
// certificate) delays the others by one ttl at most. Owner is a token the
// caller makes per lock it takes: only it renews or releases.

// TryLock takes name for owner if it is free or its lease ran out, and says
// whether it did. It never waits: the caller polls.
func TryLock(ctx context.Context, db *store.DB, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, fmt.Errorf("certstore: lock %q: want a name, an owner and a positive ttl", name)
	}
	// One statement, so two edges cannot both see the lock free: the
	// conflicting insert updates only an expired row (or one the same
	// owner holds), and affects no row otherwise.
	res, err := db.Write.ExecContext(ctx, `INSERT INTO acme_locks (name, owner, expires_ms) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms
		WHERE acme_locks.expires_ms <= $4 OR acme_locks.owner = excluded.owner`,
		name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("certstore: lock %s: %w", name, store.Unavailable(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("certstore: lock %s: %w", name, err)
	}
	return n == 1, nil
}

// Renew extends owner's lease on name to now+ttl; it says false if owner no
// longer holds it (the lease ran out and another took it).
func Renew(ctx context.Context, db *store.DB, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := db.Write.ExecContext(ctx, "UPDATE acme_locks SET expires_ms = $3 WHERE name = $1 AND owner = $2",
		name, owner, now.Add(ttl).UnixMilli())
	if err != nil {
		return false, fmt.Errorf("certstore: renew lock %s: %w", name, store.Unavailable(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("certstore: renew lock %s: %w", name, err)
	}
	return n == 1, nil
}

// Unlock releases owner's lock on name. Releasing a lock owner no longer
// holds is no error and frees nothing: another edge holds it now.
func Unlock(ctx context.Context, db *store.DB, name, owner string) error {
	if _, err := db.Write.ExecContext(ctx, "DELETE FROM acme_locks WHERE name = $1 AND owner = $2", name, owner); err != nil {
		return fmt.Errorf("certstore: unlock %s: %w", name, store.Unavailable(err))
	}
	return nil
}
