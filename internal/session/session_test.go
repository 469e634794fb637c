package session_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/clocktest"
	"agora/internal/fault"
	"agora/internal/session"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newManager(db *store.DB) (*session.Manager, *clocktest.Clock) {
	clk := clocktest.New(t0)
	return &session.Manager{DB: db, TTL: time.Hour, Now: clk.Now}, clk
}

// request returns a GET carrying the given session cookie value ("" = none).
func request(value string) *http.Request {
	r := httptest.NewRequest("GET", "/cart", nil)
	if value != "" {
		r.AddCookie(&http.Cookie{Name: session.CookieName, Value: value})
	}
	return r
}

// judged returns r as a handler behind t's clientaddr.Middleware sees it.
func judged(t *clientaddr.Trusted, r *http.Request) *http.Request {
	var out *http.Request
	t.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { out = r })).ServeHTTP(httptest.NewRecorder(), r)
	return out
}

// sessionCookie returns the session cookie a response set, or nil.
func sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == session.CookieName {
			return c
		}
	}
	return nil
}

// ensure creates a guest session and returns its cookie value.
func ensure(t *testing.T, m *session.Manager) (string, *session.Session) {
	t.Helper()
	w := httptest.NewRecorder()
	s, err := m.Ensure(w, request(""))
	if err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(w)
	if c == nil {
		t.Fatal("Ensure set no cookie")
	}
	return c.Value, s
}

func addCustomer(t *testing.T, db *store.DB, email string) int64 {
	t.Helper()
	var id int64
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO customers (email, name, password_hash, created_at) VALUES ($1, 'C', 'x', $2) RETURNING id`, email, t0).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func isNotFound(err error) bool { return fault.CodeOf(err) == fault.NotFound }

func TestLookupRefusesWhatIsNotALiveSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m, clk := newManager(db)
		live, liveSession := ensure(t, m)
		expired, _ := ensure(t, m)
		loggedOut, _ := ensure(t, m)
		if err := m.Logout(context.Background(), httptest.NewRecorder(), request(loggedOut)); err != nil {
			t.Fatal(err)
		}
		// "expired" goes stale while "live", the same session, stays alive:
		// used past half its life it is extended (Ensure), then the clock
		// passes the hour all three started with.
		clk.Advance(40 * time.Minute)
		if s, err := m.Ensure(httptest.NewRecorder(), request(live)); err != nil || s.Hash != liveSession.Hash {
			t.Fatalf("using the live session: %+v, %v", s, err)
		}
		clk.Advance(30 * time.Minute)

		forged := strings.Repeat("A", 43) // right shape, never issued
		tests := []struct{ name, value string }{
			{"no cookie", ""},
			{"garbage", "not-a-session"},
			{"wrong length", live[:20]},
			{"one char more", live + "A"},
			{"bad alphabet", strings.Repeat("*", 43)},
			{"standard base64 padding", live + "="},
			{"forged", forged},
			{"the hash instead of the id", session.Hash(live)},
			{"stale (expired)", expired},
			{"logged out", loggedOut},
			{"sql-ish", "' OR 1=1 --"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, err := m.Lookup(request(tc.value))
				if !isNotFound(err) || s != nil {
					t.Fatalf("Lookup = %v, %v; want fault.NotFound", s, err)
				}
			})
		}
		if s, err := m.Lookup(request(live)); err != nil || s.Hash != liveSession.Hash || s.CustomerID != 0 {
			t.Fatalf("live guest session: %+v, %v; want session %s", s, err, liveSession.Hash)
		}
		// A cookie of another name is not ours.
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "other", Value: live})
		if _, err := m.Lookup(r); !isNotFound(err) {
			t.Errorf("cookie of another name: %v", err)
		}
	})
}

func TestEnsureCookieAttributes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m, _ := newManager(db)
		// httptest requests come from 192.0.2.1: the trusted proxy here.
		edge := clientaddr.MustParse("192.0.2.1")
		tests := []struct {
			name       string
			tls        bool
			proto      string
			peer       string // RemoteAddr if not the trusted proxy
			public     bool   // Manager.Secure: the public URL is https
			wantSecure bool
		}{
			{name: "plain http", wantSecure: false},
			{name: "direct TLS", tls: true, wantSecure: true},
			{name: "behind the edge with TLS", proto: "https", wantSecure: true},
			{name: "forwarded proto in capitals", proto: "HTTPS", wantSecure: true},
			{name: "behind the edge without TLS", proto: "http", wantSecure: false},
			{name: "forwarded proto from an untrusted peer", proto: "https", peer: "203.0.113.5:4000", wantSecure: false},
			{name: "https public URL over plain http", public: true, wantSecure: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				m := *m
				m.Secure = tc.public
				r := request("")
				if tc.peer != "" {
					r.RemoteAddr = tc.peer
				}
				if tc.tls {
					r.TLS = &tls.ConnectionState{}
				}
				if tc.proto != "" {
					r.Header.Set("X-Forwarded-Proto", tc.proto)
				}
				r = judged(edge, r)
				w := httptest.NewRecorder()
				s, err := (&m).Ensure(w, r)
				if err != nil {
					t.Fatal(err)
				}
				c := sessionCookie(w)
				if c == nil {
					t.Fatal("no cookie")
				}
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != tc.wantSecure || c.MaxAge != 3600 {
					t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, Secure=%v, Max-Age=3600", c, tc.wantSecure)
				}
				if len(c.Value) != 43 {
					t.Errorf("cookie value has %d chars, want 43 (256 bits, base64url)", len(c.Value))
				}
				if s.Hash != session.Hash(c.Value) || s.Hash == c.Value || !s.ExpiresAt.Equal(t0.Add(time.Hour)) {
					t.Errorf("session %+v for cookie %q", s, c.Value)
				}
				// The database holds the hash, never the id.
				var n int
				if err := db.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE id_hash = $1`, c.Value).Scan(&n); err != nil || n != 0 {
					t.Errorf("raw id found in the database (%d, %v)", n, err)
				}
				// The same cookie again: the same session, no new cookie.
				w2 := httptest.NewRecorder()
				s2, err := m.Ensure(w2, request(c.Value))
				if err != nil || s2.Hash != s.Hash || sessionCookie(w2) != nil {
					t.Errorf("second Ensure: %+v, %v, cookie %v", s2, err, sessionCookie(w2))
				}
			})
		}
	})
}

func TestExpiryAndExtension(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m, clk := newManager(db)
		value, _ := ensure(t, m)
		clk.Advance(20 * time.Minute)
		// Young session: Ensure does not write or re-send the cookie.
		w := httptest.NewRecorder()
		if s, err := m.Ensure(w, request(value)); err != nil || !s.ExpiresAt.Equal(t0.Add(time.Hour)) || sessionCookie(w) != nil {
			t.Fatalf("young session: %+v, %v", s, err)
		}
		// Past half its life: extended by a full TTL.
		clk.Advance(20 * time.Minute)
		w = httptest.NewRecorder()
		s, err := m.Ensure(w, request(value))
		if err != nil || !s.ExpiresAt.Equal(clk.Now().Add(time.Hour)) || sessionCookie(w) == nil || sessionCookie(w).Value != value {
			t.Fatalf("old session not extended: %+v, %v", s, err)
		}
		clk.Advance(59 * time.Minute)
		if _, err := m.Lookup(request(value)); err != nil {
			t.Fatalf("extended session gone early: %v", err)
		}
		clk.Advance(2 * time.Minute)
		if _, err := m.Lookup(request(value)); !isNotFound(err) {
			t.Fatalf("expired session: %v", err)
		}
		// Ensure on an expired session starts a new one.
		w = httptest.NewRecorder()
		if s2, err := m.Ensure(w, request(value)); err != nil || s2.Hash == s.Hash || sessionCookie(w) == nil {
			t.Fatalf("Ensure after expiry: %+v, %v", s2, err)
		}
	})
}

func TestLoginRotatesTheID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, _ := newManager(db)
		cust := addCustomer(t, db, "ada@example.com")
		guest, gs := ensure(t, m)

		var gotOld, gotNew string
		var sawBoth int
		w := httptest.NewRecorder()
		s, err := m.Login(ctx, w, request(guest), cust, func(tx *sql.Tx, oldHash, newHash string) error {
			gotOld, gotNew = oldHash, newHash
			// Same transaction: the new row is visible, the old not yet deleted.
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE id_hash IN ($1, $2)`, oldHash, newHash).Scan(&sawBoth)
		})
		if err != nil {
			t.Fatal(err)
		}
		if gotOld != gs.Hash || gotNew != s.Hash || sawBoth != 2 {
			t.Errorf("inTx saw old=%q new=%q rows=%d; want old=%q new=%q rows=2", gotOld, gotNew, sawBoth, gs.Hash, s.Hash)
		}
		c := sessionCookie(w)
		if c == nil || c.Value == guest || !c.HttpOnly {
			t.Fatalf("login cookie %+v (guest id %q)", c, guest)
		}
		if _, err := m.Lookup(request(guest)); !isNotFound(err) {
			t.Errorf("the pre-login id still works: %v", err)
		}
		if got, err := m.Lookup(request(c.Value)); err != nil || got.CustomerID != cust {
			t.Errorf("new session: %+v, %v", got, err)
		}
		// Login without any prior session: oldHash is "".
		gotOld = "unset"
		if _, err := m.Login(ctx, httptest.NewRecorder(), request(""), cust, func(_ *sql.Tx, oldHash, _ string) error {
			gotOld = oldHash
			return nil
		}); err != nil || gotOld != "" {
			t.Errorf("fresh login: oldHash %q, err %v", gotOld, err)
		}
		// A nil hook is fine.
		if _, err := m.Login(ctx, httptest.NewRecorder(), request("forged-cookie"), cust, nil); err != nil {
			t.Error(err)
		}
	})
}

func TestLoginHookFailureChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, _ := newManager(db)
		cust := addCustomer(t, db, "ada@example.com")
		guest, gs := ensure(t, m)
		mergeFailed := errors.New("cart merge failed")
		w := httptest.NewRecorder()
		_, err := m.Login(ctx, w, request(guest), cust, func(tx *sql.Tx, oldHash, newHash string) error {
			// Something the hook wrote must roll back too.
			if _, err := tx.ExecContext(ctx, `INSERT INTO carts (session_hash, updated_at) VALUES ($1, $2)`, newHash, t0); err != nil {
				return err
			}
			return mergeFailed
		})
		if !errors.Is(err, mergeFailed) {
			t.Fatalf("Login = %v, want the hook's error", err)
		}
		if sessionCookie(w) != nil {
			t.Error("a cookie was set for a failed login")
		}
		if s, err := m.Lookup(request(guest)); err != nil || s.Hash != gs.Hash || s.CustomerID != 0 {
			t.Errorf("guest session after failed login: %+v, %v", s, err)
		}
		var sessions, carts int
		if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM carts)`).Scan(&sessions, &carts); err != nil {
			t.Fatal(err)
		}
		if sessions != 1 || carts != 0 {
			t.Errorf("after a failed login: %d sessions, %d carts; want 1, 0", sessions, carts)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, _ := newManager(db)
		value, _ := ensure(t, m)
		other, _ := ensure(t, m)
		w := httptest.NewRecorder()
		if err := m.Logout(ctx, w, request(value)); err != nil {
			t.Fatal(err)
		}
		if c := sessionCookie(w); c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("logout cookie %+v, want an expired empty one", c)
		}
		if _, err := m.Lookup(request(value)); !isNotFound(err) {
			t.Errorf("session alive after logout: %v", err)
		}
		if _, err := m.Lookup(request(other)); err != nil {
			t.Errorf("logout ended another shopper's session: %v", err)
		}
		for _, v := range []string{"", "garbage"} {
			if err := m.Logout(ctx, httptest.NewRecorder(), request(v)); err != nil {
				t.Errorf("logout with cookie %q: %v", v, err)
			}
		}
	})
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, clk := newManager(db)
		for range 3 {
			ensure(t, m) // expire at t0+1h
		}
		clk.Advance(90 * time.Minute)
		live, _ := ensure(t, m)
		n, err := m.Cleanup(ctx)
		if err != nil || n != 3 {
			t.Fatalf("Cleanup = %d, %v; want 3 expired sessions", n, err)
		}
		if _, err := m.Lookup(request(live)); err != nil {
			t.Errorf("live session removed: %v", err)
		}
		if n, err := m.Cleanup(ctx); err != nil || n != 0 {
			t.Errorf("second Cleanup = %d, %v", n, err)
		}
	})
}

func TestDeleteCustomerTx(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, _ := newManager(db)
		ada, bob := addCustomer(t, db, "ada@example.com"), addCustomer(t, db, "bob@example.com")
		var adas []string
		for range 2 {
			w := httptest.NewRecorder()
			if _, err := m.Login(ctx, w, request(""), ada, nil); err != nil {
				t.Fatal(err)
			}
			adas = append(adas, sessionCookie(w).Value)
		}
		w := httptest.NewRecorder()
		if _, err := m.Login(ctx, w, request(""), bob, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return session.DeleteCustomerTx(ctx, tx, ada) }); err != nil {
			t.Fatal(err)
		}
		for _, v := range adas {
			if _, err := m.Lookup(request(v)); !isNotFound(err) {
				t.Errorf("ada's session survived: %v", err)
			}
		}
		if _, err := m.Lookup(request(sessionCookie(w).Value)); err != nil {
			t.Errorf("bob's session ended: %v", err)
		}
	})
}

// BenchmarkLookup measures the per-request cost of a private page's
// session check (one indexed point query on the read pool).
func BenchmarkLookup(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			m := &session.Manager{DB: db}
			w := httptest.NewRecorder()
			if _, err := m.Ensure(w, request("")); err != nil {
				b.Fatal(err)
			}
			r := request(sessionCookie(w).Value)
			for b.Loop() {
				if _, err := m.Lookup(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
