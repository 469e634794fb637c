package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"agora/internal/fault"
)

var errNoSession = fault.New(fault.NotFound, "No session.")

// Lookup returns the request's live session: one indexed point query on the
// read pool, since it runs on every private request. No cookie, a malformed
// or unknown id and an expired session all give fault.NotFound. It never
// creates a session (browsing must stay cookie-free and cacheable).
func (m *Manager) Lookup(r *http.Request) (*Session, error) {
	h := cookieHash(r)
	if h == "" {
		return nil, errNoSession
	}
	return m.byHash(r.Context(), h)
}

func (m *Manager) byHash(ctx context.Context, h string) (*Session, error) {
	var cust sql.NullInt64
	var exp time.Time
	err := m.DB.QueryRow(ctx, `SELECT customer_id, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2`,
		h, m.now()).Scan(&cust, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("session: lookup: %w", err)
	}
	return &Session{Hash: h, CustomerID: cust.Int64, ExpiresAt: exp.UTC()}, nil
}

// Ensure returns the request's session, creating a guest session (and its
// cookie) when there is none. Call it only for stateful actions such as
// adding to the cart. A session past half its life is extended (one write,
// at most once per TTL/2), so active shoppers are never logged out.
func (m *Manager) Ensure(w http.ResponseWriter, r *http.Request) (*Session, error) {
	s, err := m.Lookup(r)
	switch {
	case err == nil:
		return m.extend(w, r, s)
	case fault.CodeOf(err) != fault.NotFound:
		return nil, err
	}
	ctx := r.Context()
	now := m.now()
	value, h := newID()
	s = &Session{Hash: h, ExpiresAt: now.Add(m.ttl())}
	err = m.DB.InTx(ctx, func(tx *sql.Tx) error {
		return insert(ctx, tx, s, now)
	})
	if err != nil {
		return nil, err
	}
	m.setCookie(w, r, value, m.ttl())
	return s, nil
}

func (m *Manager) extend(w http.ResponseWriter, r *http.Request, s *Session) (*Session, error) {
	now := m.now()
	if s.ExpiresAt.Sub(now) > m.ttl()/2 {
		return s, nil
	}
	exp := now.Add(m.ttl())
	err := m.DB.InTx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), `UPDATE sessions SET expires_at = $1 WHERE id_hash = $2`, exp, s.Hash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("session: extend: %w", err)
	}
	c, _ := r.Cookie(CookieName) // Lookup found it
	m.setCookie(w, r, c.Value, m.ttl())
	s.ExpiresAt = exp
	return s, nil
}

func insert(ctx context.Context, tx *sql.Tx, s *Session, now time.Time) error {
	var cust any
	if s.CustomerID != 0 {
		cust = s.CustomerID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		s.Hash, cust, now, s.ExpiresAt); err != nil {
		return fmt.Errorf("session: create: %w", err)
	}
	return nil
}
