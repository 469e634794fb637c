// Package session keeps shopper sessions in the database (DESIGN.md
// "Sessions"): a random 256-bit id travels in an HttpOnly cookie and only
// its SHA-256 is stored, so a leaked table hands out no live sessions. Any
// app instance serves any request. It owns the sessions table; it knows
// nothing of carts.
package session

import (
	"net/http"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/store"
	"agora/internal/token"
)

// CookieName is the session cookie.
const CookieName = "agora_session"

// DefaultTTL is the lifetime of a session when Manager.TTL is zero.
const DefaultTTL = 30 * 24 * time.Hour

// Session is a live session.
type Session struct {
	Hash       string // SHA-256 (hex) of the cookie value: the database key, safe to log
	CustomerID int64  // 0 for a guest
	ExpiresAt  time.Time
}

// Manager reads and writes sessions. The zero TTL and Now work.
type Manager struct {
	DB  *store.DB
	TTL time.Duration    // if zero, DefaultTTL (30 days)
	Now func() time.Time // if nil, time.Now
	// Secure marks the cookie Secure on every response, as when the
	// public URL is https: a shopper who once came over plain HTTP must
	// not get a cookie that would then also travel unencrypted.
	Secure bool
}

func (m *Manager) ttl() time.Duration {
	if m.TTL > 0 {
		return m.TTL
	}
	return DefaultTTL
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// newID returns a fresh cookie value and its hash.
func newID() (value, hash string) { return token.New() }

// Hash returns the database key of a cookie value.
func Hash(value string) string { return token.Hash(value) }

// cookieHash returns the hash of the request's session cookie, or "" when
// there is none or it cannot be one of ours (wrong length or alphabet), so
// garbage never reaches the database.
func cookieHash(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	if !token.Valid(c.Value) {
		return ""
	}
	return Hash(c.Value)
}

// setCookie sends the session cookie; maxAge < 0 deletes it. It is Secure
// when the store's public URL is https (Manager.Secure) or the shopper
// reached us over TLS, directly or through a trusted proxy (clientaddr).
func (m *Manager) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   m.Secure || clientaddr.HTTPS(r),
		MaxAge:   int(maxAge / time.Second),
	}
	if maxAge < 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
