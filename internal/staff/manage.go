package staff

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/store"
)

// Managing staff (issue 16): owners list accounts, change roles, disable
// and re-enable them. A disabled account's sessions and API keys stop at
// its next request (FromSession and ByAPIKey read disabled_at every time;
// its sessions are deleted too). The store always keeps an active owner:
// the last one can be neither demoted nor disabled, checked with the
// owners' rows locked, so two owners demoting each other at once cannot
// both succeed.

// Account is a staff account as the staff page lists it.
type Account struct {
	Staff
	// DisabledAt is when it was disabled; zero while active.
	DisabledAt time.Time
}

// Disabled reports whether the account is disabled.
func (a Account) Disabled() bool { return !a.DisabledAt.IsZero() }

// List returns every account, active and disabled, owners first.
func (s *Service) List(ctx context.Context) ([]Account, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+staffColumns+`, s.disabled_at FROM staff s
		ORDER BY CASE s.role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, s.email`)
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var disabled sql.NullTime
		if a.Staff, err = scanStaff(rows, &disabled); err != nil {
			return nil, err
		}
		if disabled.Valid {
			a.DisabledAt = disabled.Time.UTC()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Invite creates an account with a generated password, returned once for
// the owner to hand over (only its hash is kept); the new member changes
// nothing else to start.
func (s *Service) Invite(ctx context.Context, email, name string, role Role) (Staff, string, error) {
	pw := password.Generate()
	st, err := s.Create(ctx, email, name, role, pw)
	return st, pw, err
}

var errLastOwner = fault.New(fault.Conflict, "The store must keep an active owner: make another person owner first.")

// SetRole changes the role of account id (by actor, who may not change
// their own: another owner must). Demoting the last active owner is a
// fault.Conflict.
func (s *Service) SetRole(ctx context.Context, actor Staff, id int64, role Role) error {
	if e := checkRole(role); e != nil {
		return e
	}
	if id == actor.ID {
		return fault.New(fault.Conflict, "You cannot change your own role: another owner must.")
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Role == Owner && role != Owner && !cur.Disabled() {
			if err := s.keepAnOwner(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET role = $1 WHERE id = $2`, string(role), id); err != nil {
			return fmt.Errorf("staff: set role: %w", err)
		}
		s.log().Info("staff: role changed", "staff_id", id, "role", role, "by", actor.ID)
		return nil
	})
}

// SetDisabled disables (or re-enables) account id. Disabling ends its
// sessions at once; its API keys stop working while it stays disabled.
// Disabling oneself or the last active owner is a fault.Conflict.
func (s *Service) SetDisabled(ctx context.Context, actor Staff, id int64, disabled bool) error {
	if id == actor.ID && disabled {
		return fault.New(fault.Conflict, "You cannot disable your own account.")
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.lockAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		if !disabled {
			_, err := tx.ExecContext(ctx, `UPDATE staff SET disabled_at = NULL WHERE id = $1`, id)
			s.log().Info("staff: account enabled", "staff_id", id, "by", actor.ID)
			return err
		}
		if cur.Disabled() {
			return nil
		}
		if cur.Role == Owner {
			if err := s.keepAnOwner(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET disabled_at = $1 WHERE id = $2`, s.now(), id); err != nil {
			return fmt.Errorf("staff: disable: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE staff_id = $1`, id); err != nil {
			return fmt.Errorf("staff: disable: %w", err)
		}
		s.log().Info("staff: account disabled", "staff_id", id, "by", actor.ID)
		return nil
	})
}

// lockAccount reads account id in tx. On PostgreSQL it first locks that
// row and every owner's, in id order (so two such transactions never
// deadlock): keepAnOwner then counts owners no one else can change
// meanwhile. SQLite's single writer serializes them by itself.
func (s *Service) lockAccount(ctx context.Context, tx *sql.Tx, id int64) (Account, error) {
	if s.DB.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT id FROM staff WHERE role = 'owner' OR id = $1 ORDER BY id FOR UPDATE`, id); err != nil {
			return Account{}, fmt.Errorf("staff: lock: %w", err)
		}
	}
	var a Account
	var disabled sql.NullTime
	var err error
	a.Staff, err = scanStaff(tx.QueryRowContext(ctx, `SELECT `+staffColumns+`, s.disabled_at FROM staff s WHERE s.id = $1`, id), &disabled)
	if disabled.Valid {
		a.DisabledAt = disabled.Time
	}
	return a, err
}

// keepAnOwner fails unless an active owner other than id remains
// (lockAccount locked the owners' rows first).
func (s *Service) keepAnOwner(ctx context.Context, tx *sql.Tx, id int64) error {
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM staff WHERE role = 'owner' AND disabled_at IS NULL AND id <> $1`, id).
		Scan(&others); err != nil {
		return fmt.Errorf("staff: owners: %w", err)
	}
	if others == 0 {
		return errLastOwner
	}
	return nil
}
