package session

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
)

// Login starts a session for customerID with a fresh id (no fixation: an id
// planted before login is worthless after it) and sets its cookie. In one
// transaction it creates the new session, runs inTx (may be nil; the cart
// merge uses it) with the old session's hash ("" when there was none) and
// the new one, then deletes the old session. If inTx fails, nothing
// changes and no cookie is set.
func (m *Manager) Login(ctx context.Context, w http.ResponseWriter, r *http.Request, customerID int64, inTx func(tx *sql.Tx, oldHash, newHash string) error) (*Session, error) {
	var oldHash string
	if h := cookieHash(r); h != "" {
		// Only a live session's data (its guest cart) is carried over.
		if old, err := m.byHash(ctx, h); err == nil {
			oldHash = old.Hash
		}
	}
	now := m.now()
	value, h := newID()
	s := &Session{Hash: h, CustomerID: customerID, ExpiresAt: now.Add(m.ttl())}
	err := m.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := insert(ctx, tx, s, now); err != nil {
			return err
		}
		if inTx != nil {
			if err := inTx(tx, oldHash, h); err != nil {
				return err
			}
		}
		return deleteHash(ctx, tx, oldHash)
	})
	if err != nil {
		return nil, err
	}
	m.setCookie(w, r, value, m.ttl())
	return s, nil
}

// Logout deletes the request's session, if any, and expires the cookie.
func (m *Manager) Logout(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if h := cookieHash(r); h != "" {
		err := m.DB.InTx(ctx, func(tx *sql.Tx) error { return deleteHash(ctx, tx, h) })
		if err != nil {
			return err
		}
	}
	m.setCookie(w, r, "", -1)
	return nil
}

func deleteHash(ctx context.Context, tx *sql.Tx, h string) error {
	if h == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, h); err != nil {
		return fmt.Errorf("session: delete: %w", err)
	}
	return nil
}

// DeleteCustomerTx ends every session of a customer inside tx (a password
// reset logs out everywhere).
func DeleteCustomerTx(ctx context.Context, tx *sql.Tx, customerID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE customer_id = $1`, customerID); err != nil {
		return fmt.Errorf("session: delete customer sessions: %w", err)
	}
	return nil
}

// cleanupBatch bounds one delete, so Cleanup never holds SQLite's single
// writer for long even after a bot left a million guest sessions.
const cleanupBatch = 1000

// Cleanup deletes expired sessions (their guest carts go with them, by
// cascade), in batches, and returns how many it removed. Any instance may
// run it at any time.
func (m *Manager) Cleanup(ctx context.Context) (int64, error) {
	n, err := m.DB.DeleteBatches(ctx,
		`DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)`,
		m.now(), cleanupBatch)
	if err != nil {
		return n, fmt.Errorf("session: cleanup: %w", err)
	}
	return n, nil
}
