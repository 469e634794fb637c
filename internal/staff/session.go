package staff

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/fault"
	"agora/internal/token"
)

// CookieName is the admin session cookie. It is apart from the shoppers'
// agora_session: Path=/admin keeps it off storefront requests (and out of
// the edge's way), SameSite=Strict keeps it off every cross-site request,
// even top-level links, since no admin action should start on another site.
const CookieName = "agora_admin"

var errNoSession = fault.New(fault.Unauthorized, "Please log in.")

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

// Login starts an admin session for an active staff account (after
// Authenticate) and sets its cookie. The id is fresh (no fixation), and the
// session the request carried, if any, ends. An unknown or disabled account
// gives fault.NotFound and no cookie.
func (s *Service) Login(ctx context.Context, w http.ResponseWriter, r *http.Request, staffID int64) error {
	value, hash := token.New()
	now := s.now()
	old := cookieHash(r)
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (id_hash, staff_id, created_at, expires_at)
			SELECT $1, id, $2, $3 FROM staff WHERE id = $4 AND disabled_at IS NULL`,
			hash, now, now.Add(s.sessionTTL()), staffID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoStaff
		}
		return deleteSession(ctx, tx, old)
	})
	if fault.CodeOf(err) == fault.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("staff: login: %w", err)
	}
	s.setCookie(w, r, value, s.sessionTTL())
	return nil
}

// Logout ends the request's session, if any, and expires the cookie.
func (s *Service) Logout(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	if h := cookieHash(r); h != "" {
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return deleteSession(ctx, tx, h) }); err != nil {
			return fmt.Errorf("staff: logout: %w", err)
		}
	}
	s.setCookie(w, r, "", -1)
	return nil
}

// FromSession returns the staff member of the request's live session: one
// indexed read, so a disabled account or an ended session is refused on
// the next request. No cookie, a malformed or unknown one and an expired
// session give fault.Unauthorized.
func (s *Service) FromSession(r *http.Request) (Staff, error) {
	h := cookieHash(r)
	if h == "" {
		return Staff{}, errNoSession
	}
	st, err := scanStaff(s.DB.QueryRow(r.Context(), `SELECT `+staffColumns+`
		FROM staff_sessions x JOIN staff s ON s.id = x.staff_id
		WHERE x.id_hash = $1 AND x.expires_at > $2 AND s.disabled_at IS NULL`, h, s.now()))
	if fault.CodeOf(err) == fault.NotFound {
		return Staff{}, errNoSession
	}
	return st, err
}

// sessionCleanupBatch bounds one delete of CleanupSessions.
const sessionCleanupBatch = 1000

// CleanupSessions deletes expired admin sessions, in batches, and returns
// how many; run it beside session.Manager.Cleanup. Expired sessions are
// refused anyway, so this is only housekeeping.
func (s *Service) CleanupSessions(ctx context.Context) (int64, error) {
	n, err := s.DB.DeleteBatches(ctx,
		`DELETE FROM staff_sessions WHERE id_hash IN (SELECT id_hash FROM staff_sessions WHERE expires_at <= $1 LIMIT $2)`,
		s.now(), sessionCleanupBatch)
	if err != nil {
		return n, fmt.Errorf("staff: cleanup sessions: %w", err)
	}
	return n, nil
}

func deleteSession(ctx context.Context, tx *sql.Tx, h string) error {
	if h == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE id_hash = $1`, h)
	return err
}

// cookieHash returns the hash of the request's admin cookie, or "" when
// there is none or it cannot be one of ours, so garbage never reaches the
// database.
func cookieHash(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	if !token.Valid(c.Value) {
		return ""
	}
	return token.Hash(c.Value)
}

// setCookie sends the admin cookie; maxAge < 0 deletes it. Secure when the
// public URL is https (Service.SecureCookies) or the request came over TLS,
// directly or through a trusted proxy (clientaddr).
func (s *Service) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/admin",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   s.SecureCookies || clientaddr.HTTPS(r),
		MaxAge:   int(maxAge / time.Second),
	}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
