package staff_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// adminMux is the smallest admin: a login form handler, a logout, and pages
// behind RequireUI with different permissions.
func adminMux(s *staff.Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/login", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Authenticate(r.Context(), r.FormValue("email"), r.FormValue("password"), "")
		if err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		if err := s.Login(r.Context(), w, r, st.ID); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, staff.NextPath(r.FormValue("next")), http.StatusSeeOther)
	})
	mux.HandleFunc("POST /admin/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Logout(r.Context(), w, r); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, staff.LoginPath, http.StatusSeeOther)
	})
	mux.Handle("GET /admin/settings", s.RequireUI(staff.SettingsWrite, whoAmI))
	mux.Handle("GET /admin/orders", s.RequireUI(staff.OrdersRead, whoAmI))
	mux.Handle("POST /admin/orders/{n}/status", s.RequireUI(staff.OrdersWrite, whoAmI))
	return mux
}

// browser is a client with a cookie jar that does not follow redirects,
// so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: srv.URL, c: c}
}

func (b *browser) do(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return resp, string(text)
}

// login logs in and returns the admin cookie it set.
func (b *browser) login(email string, header http.Header) *http.Cookie {
	b.t.Helper()
	resp, body := b.do("POST", "/admin/login", url.Values{"email": {email}, "password": {goodPassword}, "next": {"/admin/orders?status=paid"}}, header)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/orders?status=paid" {
		b.t.Fatalf("login %s: %d %q %s", email, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == staff.CookieName {
			return c
		}
	}
	b.t.Fatalf("login %s set no %s cookie", email, staff.CookieName)
	return nil
}

// withCookie fetches path with only the given cookie value, as a second
// browser holding a copied cookie would.
func withCookie(t *testing.T, srv *httptest.Server, path, value string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: staff.CookieName, Value: value})
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRequireUI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, clk := newService(db)
		mustCreate(t, s, "owner@example.com", staff.Owner)
		mustCreate(t, s, "clerk@example.com", staff.Clerk)
		srv := httptest.NewServer(adminMux(s))
		defer srv.Close()
		b := newBrowser(t, srv)

		t.Run("no session redirects to login", func(t *testing.T) {
			for _, tc := range []struct{ method, path, location string }{
				{"GET", "/admin/settings?tab=tax", "/admin/login?next=%2Fadmin%2Fsettings%3Ftab%3Dtax"},
				{"GET", "/admin/orders", "/admin/login?next=%2Fadmin%2Forders"},
				{"POST", "/admin/orders/7/status", "/admin/login"}, // a form post cannot be replayed by a redirect
			} {
				resp, _ := b.do(tc.method, tc.path, url.Values{}, nil)
				if resp.StatusCode != 303 || resp.Header.Get("Location") != tc.location || resp.Header.Get("Cache-Control") != "private, no-store" {
					t.Errorf("%s %s: %d Location %q Cache-Control %q; want 303 to %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Cache-Control"), tc.location)
				}
			}
			if withCookie(t, srv, "/admin/orders", "forged") != 303 {
				t.Error("a forged cookie was let in")
			}
		})

		t.Run("cookie attributes", func(t *testing.T) {
			c := b.login("clerk@example.com", nil)
			if c.Path != "/admin" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge != 12*3600 || c.Secure || len(c.Value) != 43 {
				t.Errorf("cookie %+v; want Path=/admin HttpOnly SameSite=Strict Max-Age=43200, not Secure on plain HTTP, 256-bit value", c)
			}
			u, _ := url.Parse(srv.URL)
			if cs := b.c.Jar.Cookies(u.JoinPath("/products/shoe")); len(cs) != 0 {
				t.Errorf("the admin cookie is sent to the storefront: %v", cs)
			}
		})

		t.Run("staff cannot reach owner pages", func(t *testing.T) {
			b.login("clerk@example.com", nil)
			if resp, body := b.do("GET", "/admin/orders", nil, nil); resp.StatusCode != 200 || body != "clerk@example.com staff" {
				t.Errorf("orders: %d %q", resp.StatusCode, body)
			}
			resp, body := b.do("GET", "/admin/settings", nil, nil)
			if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "does not allow") {
				t.Errorf("settings as staff: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if resp, _ := b.do("POST", "/admin/orders/7/status", url.Values{}, nil); resp.StatusCode != 403 {
				t.Errorf("order status change as staff: %d", resp.StatusCode)
			}
		})

		t.Run("login rotates the session", func(t *testing.T) {
			old := b.login("clerk@example.com", nil)
			b.login("owner@example.com", nil)
			if resp, body := b.do("GET", "/admin/settings", nil, nil); resp.StatusCode != 200 || body != "owner@example.com owner" {
				t.Errorf("settings as owner: %d %q", resp.StatusCode, body)
			}
			if code := withCookie(t, srv, "/admin/orders", old.Value); code != 303 {
				t.Errorf("the session before the new login still works: %d", code)
			}
		})

		t.Run("logout", func(t *testing.T) {
			c := b.login("owner@example.com", nil)
			resp, _ := b.do("POST", "/admin/logout", url.Values{}, nil)
			var expired bool
			for _, sc := range resp.Cookies() {
				expired = expired || (sc.Name == staff.CookieName && sc.MaxAge < 0 && sc.Path == "/admin")
			}
			if !expired {
				t.Errorf("logout did not expire the cookie: %v", resp.Header["Set-Cookie"])
			}
			if code := withCookie(t, srv, "/admin/orders", c.Value); code != 303 {
				t.Errorf("a logged-out session still works: %d", code)
			}
		})

		t.Run("sessions end after 12 hours", func(t *testing.T) {
			b.login("owner@example.com", nil)
			clk.Advance(12*time.Hour - time.Second)
			if resp, _ := b.do("GET", "/admin/orders", nil, nil); resp.StatusCode != 200 {
				t.Fatalf("just before 12 hours: %d", resp.StatusCode)
			}
			clk.Advance(time.Second)
			if resp, _ := b.do("GET", "/admin/orders", nil, nil); resp.StatusCode != 303 {
				t.Errorf("after 12 hours: %d, want a redirect to login", resp.StatusCode)
			}
			if n, err := s.CleanupSessions(ctx); err != nil || n == 0 {
				t.Errorf("CleanupSessions = %d, %v", n, err)
			}
		})
	})
}

// TestSecureCookieBehindProxy: X-Forwarded-Proto makes the cookie Secure
// only from a trusted proxy (issue 9); an https public URL always does.
func TestSecureCookieBehindProxy(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	for i, c := range []struct {
		name        string
		trusted     string // the test client connects from 127.0.0.1
		proto       string
		publicHTTPS bool
		wantSecure  bool
	}{
		{"trusted proxy, https", "loopback", "https", false, true},
		{"trusted proxy, http", "loopback", "http", false, false},
		{"untrusted peer claims https", "none", "https", false, false},
		{"https public URL", "none", "", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newService(db)
			s.SecureCookies = c.publicHTTPS
			email := fmt.Sprintf("owner%d@example.com", i)
			mustCreate(t, s, email, staff.Owner)
			srv := httptest.NewServer(clientaddr.MustParse(c.trusted).Middleware(adminMux(s)))
			defer srv.Close()
			var h http.Header
			if c.proto != "" {
				h = http.Header{"X-Forwarded-Proto": {c.proto}}
			}
			if ck := newBrowser(t, srv).login(email, h); ck.Secure != c.wantSecure {
				t.Errorf("Secure = %v, want %v", ck.Secure, c.wantSecure)
			}
		})
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, _ := newService(db)
	mustCreate(t, s, "owner@example.com", staff.Owner)
	srv := httptest.NewTLSServer(adminMux(s))
	defer srv.Close()
	if c := newBrowser(t, srv).login("owner@example.com", nil); !c.Secure {
		t.Error("cookie set over TLS is not Secure")
	}
}

func TestNextPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"/admin/orders?status=paid", "/admin/orders?status=paid"},
		{"/admin", "/admin"},
		{"", "/admin"},
		{"/", "/admin"},
		{"/products/shoe", "/admin"},
		{"/administrator", "/admin"},
		{"/admin/../products", "/admin"},
		{"//evil.example/admin", "/admin"},
		{"https://evil.example/admin", "/admin"},
		{"/\\evil.example", "/admin"},
		{"javascript:alert(1)", "/admin"},
		{"/admin/x\r\nSet-Cookie: a=b", "/admin"},
		{"/admin/\t/evil.example", "/admin"}, // issue 9: browsers drop the tab
		{"/admin/%09/x", "/admin"},
		{"/admin/\u00a0", "/admin"},
		{"/admin/\xff", "/admin"},
		{"/admin/", "/admin/"},
	} {
		if got := staff.NextPath(tc.in); got != tc.want {
			t.Errorf("NextPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
