// Package loginlimit throttles password guessing with failure counters in
// the login_failures table, so every app instance sees the same counts. A
// counter is keyed by what it limits (an account, a client address; see
// Key) and lives for one fixed window from its first failure. Shoppers
// (internal/customer) and staff (internal/staff) both use it, with keys of
// their own. It owns login_failures and knows nothing of accounts.
//
// An attempt is counted before its password is verified, in one atomic
// step with the check (Take), so no burst of parallel guesses overshoots a
// limit; a success then gives its attempt back (Forgive).
package loginlimit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/store"
)

// DefaultWindow is the throttling window when Limiter.Window is zero.
const DefaultWindow = 15 * time.Minute

// Limiter reads and writes failure counters. The zero Window works.
type Limiter struct {
	DB     *store.DB
	Window time.Duration // how long a counter lives from its first failure; if zero, DefaultWindow
}

// Limit is one counter and how many failures it allows within a window.
type Limit struct {
	Key string // from Key
	Max int
}

// maxKey bounds keys built from user input, in bytes.
const maxKey = 300

// Key is the counter key of value (an email, an address) under kind
// ("account", "staff:client"…). Input of any length or encoding gives a
// key the database accepts: invalid UTF-8 is replaced and the key is cut
// at a character boundary.
func Key(kind, value string) string {
	k := strings.ToValidUTF8(kind+":"+value, "\uFFFD")
	if len(k) <= maxKey {
		return k
	}
	k = k[:maxKey]
	for !utf8.ValidString(k) {
		k = k[:len(k)-1]
	}
	return k
}

func (l *Limiter) window() time.Duration {
	if l.Window > 0 {
		return l.Window
	}
	return DefaultWindow
}

// Check returns the failure count of each limit's key within its window at
// now, in the order given, and whether any count has reached its Max.
func (l *Limiter) Check(ctx context.Context, now time.Time, limits ...Limit) (counts []int, blocked bool, err error) {
	counts = make([]int, len(limits))
	for i, lim := range limits {
		n, err := l.count(ctx, lim.Key, now)
		if err != nil {
			return nil, false, err
		}
		counts[i] = n
		if n >= lim.Max {
			blocked = true
		}
	}
	return counts, blocked, nil
}

func (l *Limiter) count(ctx context.Context, key string, now time.Time) (int, error) {
	var n int
	var start time.Time
	err := l.DB.QueryRow(ctx, `SELECT failures, window_start FROM login_failures WHERE key = $1`, key).Scan(&n, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("loginlimit: read failures: %w", err)
	}
	if !start.After(now.Add(-l.window())) {
		return 0, nil // the window has passed
	}
	return n, nil
}

// errFull rolls Take's transaction back when a counter is at its Max.
var errFull = errors.New("loginlimit: limit reached")

// Take counts one attempt at now against every limit, before the password
// is verified (issue 9: checking, then verifying, then counting let 15
// parallel guesses through a limit of 5). Each counter is raised only while
// it is below its Max, by one conditional upsert that SQLite and PostgreSQL
// both run atomically, and all of them in one transaction, so parallel
// attempts on any number of instances cannot pass together: once a counter
// is full, Take counts nothing and reports blocked. A window that has passed
// starts afresh. counts are the counts after this attempt, in the order
// given. Max must be positive.
func (l *Limiter) Take(ctx context.Context, now time.Time, limits ...Limit) (counts []int, blocked bool, err error) {
	order := make([]int, len(limits))
	for i := range order {
		order[i] = i
	}
	// A fixed lock order, so concurrent attempts cannot deadlock.
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(limits[a].Key, limits[b].Key) })
	counts = make([]int, len(limits))
	err = l.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, i := range order {
			n, err := l.take(ctx, tx, now, limits[i])
			if err != nil {
				return err
			}
			counts[i] = n
		}
		return nil
	})
	if errors.Is(err, errFull) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("loginlimit: count attempt: %w", err)
	}
	return counts, false, nil
}

// TakeTx is Take of one limit inside the caller's transaction, which the
// counter's row stays locked in until it ends. full reports that the
// counter was at its Max (nothing was counted).
func (l *Limiter) TakeTx(ctx context.Context, tx *sql.Tx, now time.Time, lim Limit) (full bool, err error) {
	_, err = l.take(ctx, tx, now, lim)
	if errors.Is(err, errFull) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("loginlimit: count attempt: %w", err)
	}
	return false, nil
}

// take raises lim's counter by one unless it is full (errFull), and
// returns the new count: one conditional upsert, atomic on SQLite and
// PostgreSQL alike (the row is locked, or the database has one writer).
func (l *Limiter) take(ctx context.Context, tx *sql.Tx, now time.Time, lim Limit) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= $3 THEN excluded.window_start ELSE login_failures.window_start END
		WHERE login_failures.window_start <= $3 OR login_failures.failures < $4
		RETURNING failures`,
		lim.Key, now, now.Add(-l.window()), lim.Max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errFull // the conditional update matched nothing: full
	}
	return n, err
}

// Forgive settles a successful attempt that Take counted: the counters in
// clear are deleted (a successful login clears its account's failures), and
// those in refund give back the one attempt Take added (a client's address:
// clearing it would let one valid account reset an attacker's budget).
func (l *Limiter) Forgive(ctx context.Context, clear []string, refund []string) error {
	clear, refund = sortedKeys(clear), sortedKeys(refund)
	err := l.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, k := range clear {
			if err := ClearTx(ctx, tx, k); err != nil {
				return err
			}
		}
		for _, k := range refund {
			if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0`, k); err != nil {
				return fmt.Errorf("loginlimit: refund attempt: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("loginlimit: %w", err)
	}
	return nil
}

func sortedKeys(keys []string) []string {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Clear forgets key's failures (a successful login clears its account).
func (l *Limiter) Clear(ctx context.Context, key string) error {
	return l.DB.InTx(ctx, func(tx *sql.Tx) error { return ClearTx(ctx, tx, key) })
}

// ClearTx is Clear inside the caller's transaction (a password reset).
func ClearTx(ctx context.Context, tx *sql.Tx, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("loginlimit: clear failures: %w", err)
	}
	return nil
}

// cleanupBatch bounds one delete of Cleanup: a bot trying many addresses
// leaves many counters, and SQLite's one writer must stay free meanwhile.
const cleanupBatch = 1000

// Cleanup deletes counters whose window has passed at now, whatever their
// kind, and returns how many. Any instance may run it at any time; it is
// only housekeeping, since expired counters already count as zero.
func (l *Limiter) Cleanup(ctx context.Context, now time.Time) (int64, error) {
	n, err := l.DB.DeleteBatches(ctx,
		`DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures WHERE window_start <= $1 LIMIT $2)`,
		now.Add(-l.window()), cleanupBatch)
	if err != nil {
		return n, fmt.Errorf("loginlimit: cleanup: %w", err)
	}
	return n, nil
}
