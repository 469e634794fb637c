package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Login throttling keeps failure counts in login_failures, shared by every
// app instance: per account ("account:<email>") and per client address
// ("client:<ip>"). A count lives for one fixed window from its first
// failure. Checks and increments are not one atomic step, so a burst of
// parallel guesses may overshoot the limit by the burst's size; it is still
// bounded, and the next window starts from the overshoot.

func accountKey(email string) string { return "account:" + email }
func clientKey(client string) string { return "client:" + client }

// maxKey bounds keys built from shopper input.
const maxKey = 300

func (s *Service) window() time.Duration {
	if s.FailureWindow > 0 {
		return s.FailureWindow
	}
	return DefaultFailureWindow
}

// limits returns the key → allowed failures pairs for one attempt.
func (s *Service) limits(email, client string) map[string]int {
	acct, cl := s.MaxFailures, s.ClientMaxFailures
	if acct <= 0 {
		acct = DefaultMaxFailures
	}
	if cl <= 0 {
		cl = DefaultClientMaxFailures
	}
	m := map[string]int{truncate(accountKey(email)): acct}
	if client != "" {
		m[truncate(clientKey(client))] = cl
	}
	return m
}

func truncate(k string) string {
	if len(k) > maxKey {
		return k[:maxKey]
	}
	return k
}

// failures returns the current count of key within its window (0 when
// none or when the window has passed).
func (s *Service) failures(ctx context.Context, key string, now time.Time) (int, error) {
	var n int
	var start time.Time
	err := s.DB.QueryRow(ctx, `SELECT failures, window_start FROM login_failures WHERE key = $1`, key).Scan(&n, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("customer: read login failures: %w", err)
	}
	if !start.After(now.Add(-s.window())) {
		return 0, nil
	}
	return n, nil
}

// recordFailure counts one failure for each key, starting a new window
// where the old one has passed.
func (s *Service) recordFailure(ctx context.Context, keys []string, now time.Time) error {
	cutoff := now.Add(-s.window())
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2)
				ON CONFLICT (key) DO UPDATE SET
					failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
					window_start = CASE WHEN login_failures.window_start <= $3 THEN excluded.window_start ELSE login_failures.window_start END`,
				k, now, cutoff)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("customer: record login failure: %w", err)
	}
	return nil
}

func clearKey(ctx context.Context, tx *sql.Tx, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("customer: clear login failures: %w", err)
	}
	return nil
}

// CleanupFailures deletes throttling rows whose window has passed; run it
// beside session.Manager.Cleanup.
func (s *Service) CleanupFailures(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE window_start <= $1`, s.now().Add(-s.window()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("customer: cleanup login failures: %w", err)
	}
	return n, nil
}
