package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/clientaddr"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestTrustedProxies (issue 9, item 3): behind a trusted proxy (the edge, on
// loopback here) the client's address and scheme come from its forwarding
// headers, so the session and admin cookies are Secure behind TLS; from an
// untrusted peer the same headers are a client's claims and change nothing.
// With an https public URL the cookies are Secure whatever the request says.
func TestTrustedProxies(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	if _, err := (&staff.Service{DB: db}).Create(context.Background(), "owner@example.com", "Olivia", staff.Owner, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	p, err := catalog.New(db).CreateProduct(context.Background(), catalog.NewProduct{Name: "Mug",
		Variants: []catalog.NewVariant{{SKU: "MUG", Name: "Mug", PriceCents: 900, Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		trusted    string // the test client connects from 127.0.0.1
		publicURL  string
		wantAddr   string
		wantSecure bool
	}{
		{"trusted proxy", "loopback", "", "198.51.100.9", true},
		{"untrusted peer", "none", "", "127.0.0.1", false},
		{"untrusted peer, https public URL", "none", "https://shop.example", "127.0.0.1", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			deps := shopDeps(db, nil)
			deps.Staff = &staff.Service{DB: db}
			s, err := New(Config{TrustedProxies: clientaddr.MustParse(c.trusted), PublicURL: c.publicURL}, deps)
			if err != nil {
				t.Fatal(err)
			}
			s.mux.HandleFunc("GET /test/client", func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, clientaddr.Of(r))
			})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			defer client.CloseIdleConnections()
			do := func(method, path, body, ctype string) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.Header.Set("X-Forwarded-For", "198.51.100.9")
				req.Header.Set("X-Forwarded-Proto", "https")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if ctype != "" {
					req.Header.Set("Content-Type", ctype)
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}

			res := do("GET", "/test/client", "", "")
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(b) != c.wantAddr {
				t.Errorf("client address %q, want %q", b, c.wantAddr)
			}

			res = do("POST", "/api/v1/cart/items", `{"variant_id":`+itoa(p.Variants[0].ID)+`,"quantity":1}`, "application/json")
			res.Body.Close()
			checkSecure(t, res, "agora_session", c.wantSecure)

			res = do("POST", "/admin/login", "email=owner%40example.com&password=a+long+enough+password", "application/x-www-form-urlencoded")
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin login: %d", res.StatusCode)
			}
			checkSecure(t, res, staff.CookieName, c.wantSecure)
		})
	}
}

func checkSecure(t *testing.T, res *http.Response, name string, want bool) {
	t.Helper()
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			if ck.Secure != want {
				t.Errorf("%s: Secure = %v, want %v (%s)", name, ck.Secure, want, res.Header.Values("Set-Cookie"))
			}
			return
		}
	}
	t.Errorf("%s: no cookie set (status %d)", name, res.StatusCode)
}
