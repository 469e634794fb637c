package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestHealthAndReady(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{})
		for _, path := range []string{"/healthz", "/readyz"} {
			res := ts.get(t, path)
			if res.status != 200 || res.body != "ok\n" || res.header.Get("Cache-Control") != cachehdr.Private {
				t.Errorf("%s: %d %q Cache-Control %q, want 200 ok, private", path, res.status, res.body, res.header.Get("Cache-Control"))
			}
		}

		db.Close() // the data tier goes away
		if res := ts.get(t, "/readyz"); res.status != 503 || !strings.Contains(res.body, "database") {
			t.Errorf("readyz with the database closed: %d %q, want 503 naming the database", res.status, res.body)
		}
		if res := ts.get(t, "/healthz"); res.status != 200 {
			t.Errorf("healthz with the database closed: %d, want 200 (the process is alive)", res.status)
		}
		if !strings.Contains(ts.logs.String(), "not ready") {
			t.Errorf("the failed ping was not logged: %s", ts.logs.String())
		}
	})
}

// TestRoutes: each tier's routes answer through the assembled handler, and
// unmatched paths get the right kind of 404 or 405.
func TestRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{})
		key, err := ts.media.Put(context.Background(), pngBytes(t))
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			method, target string
			status         int
			contentType    string // prefix
			cacheControl   string
			allow          string
		}{
			{"GET", "/", 200, "text/html", cachehdr.Page, ""},
			{"GET", "/api/v1/products", 200, api.ContentType, cachehdr.API, ""},
			{"GET", "/api/v1/categories", 200, api.ContentType, cachehdr.API, ""},
			{"GET", "/media/" + key, 200, "image/png", cachehdr.Immutable, ""},
			{"HEAD", "/media/" + key, 200, "image/png", cachehdr.Immutable, ""},
			{"GET", "/media/" + strings.Repeat("0", 64) + ".png", 404, "text/plain", cachehdr.NotFound, ""},
			{"GET", "/no/such/page", 404, "text/html", cachehdr.NotFound, ""},
			{"GET", "/products/no-such-product", 404, "text/html", cachehdr.NotFound, ""},
			{"GET", "/api/v1/no-such-thing", 404, api.ContentType, cachehdr.NotFound, ""},
			{"POST", "/products/some-product", 405, "text/plain", cachehdr.Private, "GET, HEAD"},
			{"DELETE", "/healthz", 405, "text/plain", cachehdr.Private, "GET, HEAD"},
			{"PUT", "/media/" + key, 405, "text/plain", cachehdr.Private, "GET, HEAD"},
			{"POST", "/api/v1/categories", 405, api.ContentType, cachehdr.Private, "GET, HEAD"},
		}
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.target, func(t *testing.T) {
				res := ts.do(t, newRequest(t, tc.method, ts.http.URL+tc.target, ""))
				if res.status != tc.status {
					t.Fatalf("status %d, want %d: %.300s", res.status, tc.status, res.body)
				}
				if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
					t.Errorf("Content-Type %q, want %s…", ct, tc.contentType)
				}
				if cc := res.header.Get("Cache-Control"); cc != tc.cacheControl {
					t.Errorf("Cache-Control %q, want %q", cc, tc.cacheControl)
				}
				if a := res.header.Get("Allow"); a != tc.allow {
					t.Errorf("Allow %q, want %q", a, tc.allow)
				}
				if tc.contentType == api.ContentType {
					var v any
					if err := json.Unmarshal([]byte(res.body), &v); err != nil {
						t.Errorf("not JSON: %s", res.body)
					}
				}
			})
		}
	})
}
