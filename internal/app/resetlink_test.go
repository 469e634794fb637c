package app

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/clientaddr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestResetLinkNeverFromTheRequest (issue 9, item 1): a reset link names
// the configured public URL whatever Host and X-Forwarded-Host a request
// carries, from the API and from the storefront form, even behind a
// trusted proxy; without a public URL no reset mail is sent at all.
func TestResetLinkNeverFromTheRequest(t *testing.T) {
	cases := []struct {
		name, method, path, body, ctype string
	}{
		{"API", "POST", "/api/v1/password-reset", `{"email":"ada@example.com"}`, "application/json"},
		{"storefront form", "POST", "/account/reset", "email=ada%40example.com", "application/x-www-form-urlencoded"},
	}
	for _, publicURL := range []string{"https://shop.example", ""} {
		for _, c := range cases {
			t.Run(c.name+" public URL "+publicURL, func(t *testing.T) {
				ctx := context.Background()
				db := storetest.Open(t, store.SQLite)
				deps := shopDeps(db, nil)
				logs := &logBuffer{}
				deps.Log = slog.New(slog.NewTextHandler(logs, nil))
				if _, err := deps.Customers.Register(ctx, "ada@example.com", "Ada", "correct horse battery"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Write.ExecContext(ctx, `DELETE FROM email_outbox`); err != nil {
					t.Fatal(err)
				}
				s, err := New(Config{PublicURL: publicURL, TrustedProxies: clientaddr.MustParse("loopback")}, deps)
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(s.Handler())
				defer srv.Close()
				req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
				req.Host = "evil.example"
				req.Header.Set("X-Forwarded-Host", "evil.example")
				req.Header.Set("Content-Type", c.ctype)
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				client := srv.Client()
				client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				defer client.CloseIdleConnections()
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()

				var bodies []string
				rows, err := db.Read.QueryContext(ctx, `SELECT body_text FROM email_outbox`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var b string
					if err := rows.Scan(&b); err != nil {
						t.Fatal(err)
					}
					bodies = append(bodies, b)
				}
				for _, b := range bodies {
					if strings.Contains(b, "evil.example") {
						t.Fatalf("the mail names the request's host:\n%s", b)
					}
				}
				if publicURL == "" {
					if len(bodies) != 0 || res.StatusCode < 500 {
						t.Errorf("without a public URL: status %d, %d mails queued; want a refusal and none", res.StatusCode, len(bodies))
					}
					if !strings.Contains(logs.String(), "public-url") {
						t.Errorf("the refusal does not tell the operator what to set")
					}
					return
				}
				if len(bodies) != 1 || !strings.Contains(bodies[0], publicURL+"/account/reset/") {
					t.Errorf("status %d, mails %q; want one link under %s", res.StatusCode, bodies, publicURL)
				}
			})
		}
	}
}
