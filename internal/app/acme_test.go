package app

import (
	"net/http"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestACMEStorageGuarded: the certificate storage (private keys in it)
// exists only with a cluster secret and answers only to it; mistakes are
// 400s, never stored.
func TestACMEStorageGuarded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		open := newTestServer(t, db, Config{})
		guarded := newTestServer(t, db, Config{ClusterSecret: testSecret})
		call := func(ts *testServer, method, path, body, secret string) response {
			t.Helper()
			req := newRequest(t, method, ts.http.URL+path, body)
			if secret != "" {
				req.Header.Set("Authorization", "Bearer "+secret)
			}
			return ts.do(t, req)
		}
		if res := call(open, "GET", acmeBlobPath+"?key=a", "", testSecret); res.status != http.StatusNotFound {
			t.Errorf("no cluster secret configured: %d, want 404", res.status)
		}
		for _, secret := range []string{"", "wrong"} {
			if res := call(guarded, "PUT", acmeBlobPath+"?key=acme/key", "private", secret); res.status != http.StatusUnauthorized {
				t.Errorf("PUT with secret %q: %d, want 401", secret, res.status)
			}
		}
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{"PUT", acmeBlobPath + "?key=acme/ca/users/a/a.key", "private", http.StatusNoContent},
			{"GET", acmeBlobPath + "?key=acme/ca/users/a/a.key", "", http.StatusOK},
			{"PUT", acmeBlobPath + "?key=../etc/passwd", "x", http.StatusBadRequest},
			{"DELETE", acmeBlobPath + "?key=", "", http.StatusBadRequest},
			{"GET", acmeStatPath + "?key=acme/none", "", http.StatusNotFound},
			{"POST", acmeLockPath, `{"name":"n","owner":"o","ttl_ms":86400000}`, http.StatusBadRequest},
			{"POST", acmeLockPath, `{"name":"n"}`, http.StatusBadRequest},
			{"POST", acmeLockPath, `{"name":"n","owner":"o","ttl_ms":60000}`, http.StatusOK},
			{"POST", acmeUnlockPath, `{"name":"n","owner":"o"}`, http.StatusNoContent},
		} {
			res := call(guarded, c.method, c.path, c.body, testSecret)
			if res.status != c.want {
				t.Errorf("%s %s: %d %q, want %d", c.method, c.path, res.status, res.body, c.want)
			}
			if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s %s: Cache-Control %q, want no-store", c.method, c.path, cc)
			}
		}
		// The edge never forwards /_internal/ from its public listener
		// (edge tests); the app must not serve it to anyone without the secret.
		if res := call(guarded, "GET", acmeBlobPath+"?key=acme/ca/users/a/a.key", "", ""); res.status != http.StatusUnauthorized || strings.Contains(res.body, "private") {
			t.Errorf("a private key without the secret: %d %q", res.status, res.body)
		}
	})
}
