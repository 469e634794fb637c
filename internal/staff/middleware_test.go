package staff_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// whoAmI answers the staff member the middleware let through.
var whoAmI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	st, ok := staff.From(r.Context())
	if !ok {
		http.Error(w, "no staff in context", 500)
		return
	}
	fmt.Fprintf(w, "%s %s", st.Email, st.Role)
})

func TestRequireAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		ownerKey, _ := mustKey(t, s, mustCreate(t, s, "owner@example.com", staff.Owner))
		managerKey, _ := mustKey(t, s, mustCreate(t, s, "manager@example.com", staff.Manager))
		clerk := mustCreate(t, s, "clerk@example.com", staff.Clerk)
		clerkKey, clerkRec := mustKey(t, s, clerk)

		mux := http.NewServeMux()
		mux.Handle("PUT /api/v1/admin/settings", s.RequireAPI(staff.SettingsWrite, whoAmI))
		mux.Handle("GET /api/v1/admin/orders", s.RequireAPI(staff.OrdersRead, whoAmI))
		mux.Handle("GET /api/v1/admin/products", s.RequireAPI("", whoAmI))
		srv := httptest.NewServer(mux)
		defer srv.Close()

		type result struct {
			status      int
			code, body  string
			challenge   string
			contentType string
		}
		call := func(method, path, auth string) result {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			res := result{status: resp.StatusCode, body: string(b), challenge: resp.Header.Get("WWW-Authenticate"), contentType: resp.Header.Get("Content-Type")}
			if resp.StatusCode >= 400 {
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(b, &e); err != nil || e.Error.Message == "" {
					t.Errorf("%s %s: error body %q is not the API's JSON error", method, path, b)
				}
				res.code = e.Error.Code
				if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
					t.Errorf("%s %s: Cache-Control %q on an error", method, path, cc)
				}
			}
			return res
		}

		tests := []struct {
			name, method, path, auth string
			status                   int
			code, body, challenge    string
		}{
			{"no key", "PUT", "/api/v1/admin/settings", "", 401, "unauthorized", "", `Bearer realm="agora-admin"`},
			{"no key, any-staff route", "GET", "/api/v1/admin/products", "", 401, "unauthorized", "", `Bearer realm="agora-admin"`},
			{"bad key", "GET", "/api/v1/admin/orders", "Bearer agk_" + strings.Repeat("x", 43), 401, "unauthorized", "", `error="invalid_token"`},
			{"garbage key", "GET", "/api/v1/admin/orders", "Bearer hunter2", 401, "unauthorized", "", `error="invalid_token"`},
			{"basic auth", "GET", "/api/v1/admin/orders", "Basic " + ownerKey, 401, "unauthorized", "", `Bearer realm`},
			{"staff on owner-only", "PUT", "/api/v1/admin/settings", "Bearer " + clerkKey, 403, "forbidden", "", `error="insufficient_scope"`},
			{"manager on owner-only", "PUT", "/api/v1/admin/settings", "Bearer " + managerKey, 403, "forbidden", "", `error="insufficient_scope"`},
			{"owner on owner-only", "PUT", "/api/v1/admin/settings", "Bearer " + ownerKey, 200, "", "owner@example.com owner", ""},
			{"scheme in any case", "PUT", "/api/v1/admin/settings", "bearer " + ownerKey, 200, "", "owner@example.com owner", ""},
			{"staff reads orders", "GET", "/api/v1/admin/orders", "Bearer " + clerkKey, 200, "", "clerk@example.com staff", ""},
			{"staff reads catalog", "GET", "/api/v1/admin/products", "Bearer " + clerkKey, 200, "", "clerk@example.com staff", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := call(tc.method, tc.path, tc.auth)
				if got.status != tc.status || got.code != tc.code || (tc.body != "" && got.body != tc.body) || !strings.Contains(got.challenge, tc.challenge) {
					t.Errorf("got %d %q %q (WWW-Authenticate %q), want %d %q %q (%q)", got.status, got.code, got.body, got.challenge, tc.status, tc.code, tc.body, tc.challenge)
				}
				if tc.status >= 400 && got.contentType != "application/json" {
					t.Errorf("Content-Type %q", got.contentType)
				}
			})
		}

		t.Run("revoked key fails on the next request", func(t *testing.T) {
			if got := call("GET", "/api/v1/admin/orders", "Bearer "+clerkKey); got.status != 200 {
				t.Fatalf("before revoking: %d", got.status)
			}
			if err := s.RevokeAPIKey(ctx, clerkRec.ID); err != nil {
				t.Fatal(err)
			}
			if got := call("GET", "/api/v1/admin/orders", "Bearer "+clerkKey); got.status != 401 || got.code != "unauthorized" {
				t.Errorf("after revoking: %d %q", got.status, got.code)
			}
		})

		t.Run("disabled account's key fails", func(t *testing.T) {
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE staff SET disabled_at = $1 WHERE email = 'manager@example.com'`, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := call("GET", "/api/v1/admin/orders", "Bearer "+managerKey); got.status != 401 {
				t.Errorf("key of a disabled account: %d", got.status)
			}
		})
	})
}
