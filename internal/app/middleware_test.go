package app

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/api"
	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/mail"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestURILimit: request targets over 8 KiB get a clear 414 before any
// handler parses them; 8 KiB exactly is still served.
func TestURILimit(t *testing.T) {
	ts := sqliteServer(t, Config{})
	// target returns a request target of exactly n bytes under prefix.
	target := func(prefix string, n int) string {
		return prefix + strings.Repeat("a", n-len(prefix))
	}
	tests := []struct {
		name, target string
		status       int
		contentType  string
	}{
		{"10 KB query string", "/search?q=" + strings.Repeat("x", 10_000), 414, "text/plain"},
		{"10 KB query string on the API", "/api/v1/products?q=" + strings.Repeat("x", 10_000), 414, api.ContentType},
		{"one byte over", target("/no/such/page?pad=", MaxURILength+1), 414, "text/plain"},
		{"exactly the limit", target("/no/such/page?pad=", MaxURILength), 404, "text/html"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.get(t, tc.target)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", res.status, tc.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s…", ct, tc.contentType)
			}
			if tc.status == 414 {
				if !strings.Contains(res.body, "too long") || res.header.Get("Cache-Control") != cachehdr.Private {
					t.Errorf("414 should say why and be private: %q, %q", res.body, res.header.Get("Cache-Control"))
				}
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	ts := sqliteServer(t, Config{MaxBodyBytes: 1000})
	var readErr error
	ts.mux.HandleFunc("POST /test/echo", func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if errors.As(readErr, &mbe) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// Declared too large: refused before the handler runs.
	if res := ts.do(t, newRequest(t, "POST", ts.http.URL+"/test/echo", strings.Repeat("a", 1001))); res.status != 413 {
		t.Errorf("declared 1001 bytes: status %d, want 413", res.status)
	}
	// Undeclared (chunked): the handler cannot read past the cap.
	req := newRequest(t, "POST", ts.http.URL+"/test/echo", "")
	req.Body = io.NopCloser(strings.NewReader(strings.Repeat("a", 5000)))
	req.ContentLength = -1
	if res := ts.do(t, req); res.status != 413 {
		t.Errorf("chunked 5000 bytes: status %d, want 413 (read error %v)", res.status, readErr)
	}
	if res := ts.do(t, newRequest(t, "POST", ts.http.URL+"/test/echo", strings.Repeat("a", 1000))); res.status != 204 {
		t.Errorf("1000 bytes: status %d, want 204", res.status)
	}
}

// TestPanicRecovery: a panicking handler yields the 500 page (or JSON under
// /api/), private and without what the handler had set, logged with its
// stack and request id; the server keeps serving.
func TestPanicRecovery(t *testing.T) {
	ts := sqliteServer(t, Config{})
	boom := func(w http.ResponseWriter, r *http.Request) {
		cachehdr.Set(w.Header(), cachehdr.Page, "product-1")
		panic("boom")
	}
	ts.mux.HandleFunc("GET /test/panic", boom)
	ts.mux.HandleFunc("GET /api/v1/test-panic", boom)
	ts.mux.HandleFunc("GET /test/panic-midway", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("midway")
	})

	res := ts.get(t, "/test/panic")
	if res.status != 500 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, "Something went wrong") {
		t.Errorf("HTML panic: %d %q %.200s", res.status, res.header.Get("Content-Type"), res.body)
	}
	if res.header.Get("Cache-Control") != cachehdr.Private || res.header.Get(cachehdr.HeaderTags) != "" {
		t.Errorf("500 must be private and untagged: %q %q", res.header.Get("Cache-Control"), res.header.Get(cachehdr.HeaderTags))
	}
	if strings.Contains(res.body, "boom") {
		t.Errorf("the panic value reached the visitor: %s", res.body)
	}
	id := res.header.Get(HeaderRequestID)

	res = ts.get(t, "/api/v1/test-panic")
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(res.body), &e); err != nil || res.status != 500 || e.Error.Code != "internal" || strings.Contains(e.Error.Message, "boom") {
		t.Errorf("API panic: %d %s", res.status, res.body)
	}

	// A panic after the response began cannot become a 500: the client
	// must see a broken response, not a short one that looks complete.
	if resp, err := ts.http.Client().Get(ts.http.URL + "/test/panic-midway"); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("a response cut by a panic read as complete")
		}
	}

	if res := ts.get(t, "/healthz"); res.status != 200 {
		t.Errorf("after panics: healthz %d", res.status)
	}
	logs := ts.logs.String()
	for _, want := range []string{`"panic":"boom"`, "runtime/debug.Stack", `"request_id":"` + id + `"`, `"level":"ERROR"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
}

// TestResponseDefaults: responses are private unless their handler says
// otherwise, carry nosniff, HTML gets the security headers, and every
// response has a request id (the caller's if sane).
func TestResponseDefaults(t *testing.T) {
	ts := sqliteServer(t, Config{})
	ts.mux.HandleFunc("GET /test/bare", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><p>hello")
	})
	ts.mux.HandleFunc("GET /test/public", func(w http.ResponseWriter, r *http.Request) {
		cachehdr.Set(w.Header(), cachehdr.Page)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	})
	tests := []struct {
		target, cacheControl string
		html                 bool
	}{
		{"/test/bare", cachehdr.Private, true},
		{"/test/public", cachehdr.Page, false},
		{"/healthz", cachehdr.Private, false},
		{"/", cachehdr.Page, true},
		{"/api/v1/categories", cachehdr.API, false},
	}
	for _, tc := range tests {
		res := ts.get(t, tc.target)
		if cc := res.header.Get("Cache-Control"); cc != tc.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tc.target, cc, tc.cacheControl)
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.target)
		}
		csp := res.header.Get("Content-Security-Policy")
		if tc.html != (csp != "") || tc.html != (res.header.Get("X-Frame-Options") == "DENY") || tc.html != (res.header.Get("Referrer-Policy") != "") {
			t.Errorf("%s: html=%v but CSP %q, X-Frame-Options %q, Referrer-Policy %q", tc.target, tc.html,
				csp, res.header.Get("X-Frame-Options"), res.header.Get("Referrer-Policy"))
		}
		if tc.html && (!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'")) {
			t.Errorf("%s: CSP %q should allow self only", tc.target, csp)
		}
		if res.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: sets a cookie", tc.target)
		}
	}

	ids := map[string]string{
		"edge-7f3a.1:2":                        "edge-7f3a.1:2",
		"":                                     "",
		"bad id with spaces":                   "",
		"quote\"and=equals":                    "",
		strings.Repeat("a", 65):                "",
		"<script>":                             "",
		"123e4567-e89b-12d3-a456-426614174000": "123e4567-e89b-12d3-a456-426614174000",
	}
	seen := map[string]bool{}
	for in, want := range ids {
		req := newRequest(t, "GET", ts.http.URL+"/healthz", "")
		if in != "" {
			req.Header[HeaderRequestID] = []string{in}
		}
		got := ts.do(t, req).header.Get(HeaderRequestID)
		switch {
		case want != "" && got != want:
			t.Errorf("X-Request-Id %q: echoed %q", in, got)
		case want == "" && (got == "" || got == in || !saneRequestID(got) || seen[got]):
			t.Errorf("X-Request-Id %q: got %q, want a fresh generated id", in, got)
		}
		seen[got] = true
	}
}

// TestCrossOrigin: unsafe requests a browser sends from another site are
// refused; safe ones and same-origin ones are not.
func TestCrossOrigin(t *testing.T) {
	ts := sqliteServer(t, Config{PublicURL: "https://shop.example/"})
	ts.mux.HandleFunc("POST /test/form", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	tests := []struct {
		name, method, target string
		header               map[string]string
		status               int
		contentType          string
	}{
		{"cross-site POST", "POST", "/test/form", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "text/plain"},
		{"cross-site POST to the API", "POST", "/api/v1/products", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, api.ContentType},
		{"foreign Origin", "POST", "/test/form", map[string]string{"Origin": "https://evil.example"}, 403, "text/plain"},
		{"same-origin POST", "POST", "/test/form", map[string]string{"Sec-Fetch-Site": "same-origin"}, 204, ""},
		{"trusted public origin", "POST", "/test/form", map[string]string{"Origin": "https://shop.example"}, 204, ""},
		{"non-browser POST", "POST", "/test/form", nil, 204, ""},
		{"cross-site GET", "GET", "/healthz", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200, "text/plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, tc.method, ts.http.URL+tc.target, "")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res := ts.do(t, req)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s…", ct, tc.contentType)
			}
			if tc.status == 403 && res.header.Get("Cache-Control") != cachehdr.Private {
				t.Errorf("403 is not private: %q", res.header.Get("Cache-Control"))
			}
		})
	}
	if _, err := New(Config{PublicURL: "https://shop.example/path"}, Deps{DB: ts.db, Catalog: catalog.New(ts.db)}); err == nil {
		t.Errorf("New accepted a public URL that is not an origin")
	}
}

func TestAccessLog(t *testing.T) {
	ts := sqliteServer(t, Config{AccessLog: true})
	req := newRequest(t, "GET", ts.http.URL+"/api/v1/categories", "")
	req.Header.Set(HeaderRequestID, "trace-42")
	res := ts.do(t, req)

	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"level": "INFO", "method": "GET", "path": "/api/v1/categories",
		"route": "GET /api/v1/categories", "status": float64(200), "bytes": float64(len(res.body)), "request_id": "trace-42"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("access log lacks duration_ms: %v", line)
	}
}

// TestServerErrorsLoggedWithoutAccessLog: with the access log off, ordinary
// requests log nothing, but a 5xx still leaves a line.
func TestServerErrorsLoggedWithoutAccessLog(t *testing.T) {
	ts := sqliteServer(t, Config{})
	ts.get(t, "/healthz")
	if logs := ts.logs.String(); strings.Contains(logs, `"msg":"request"`) {
		t.Errorf("a 200 was logged with the access log off: %s", logs)
	}
	ts.db.Close()
	ts.get(t, "/api/v1/categories")
	logs := ts.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, `"status":500`) || !strings.Contains(logs, "api: request failed") {
		t.Errorf("a 500 was not logged with its cause: %s", logs)
	}
}

// TestAccessLogHidesResetTokens: a password-reset link is a credential; the
// access log records the route pattern, never the token.
func TestAccessLogHidesResetTokens(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	deps := shopDeps(db, &mail.LogSender{Log: discardLog()})
	logs := &logBuffer{}
	deps.Log = slog.New(slog.NewJSONHandler(logs, nil))
	s, err := New(Config{AccessLog: true}, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	const secret = "s3cr3tT0kenValue"
	for _, req := range []*http.Request{
		newRequest(t, "GET", srv.URL+"/account/reset/"+secret, ""),
		newRequest(t, "POST", srv.URL+"/api/v1/password-reset/"+secret, `{"password":"long enough password"}`),
	} {
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	out := logs.String()
	if strings.Contains(out, secret) {
		t.Errorf("the reset token reached the log:\n%s", out)
	}
	for _, want := range []string{`"path":"/account/reset/{token}"`, `"path":"/api/v1/password-reset/{token}"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// TestReplicaFit: only what every visitor sees may be read from a
// replica: not a write, not a signed-in shopper's or a cart holder's
// request, not staff, not an API key, not the account, order, checkout,
// admin or internal paths.
func TestReplicaFit(t *testing.T) {
	for _, c := range []struct {
		method, path, cookie, auth string
		want                       bool
	}{
		{"GET", "/", "", "", true},
		{"HEAD", "/categories/shirts?sort=price", "", "", true},
		{"GET", "/search?q=linen", "", "", true},
		{"GET", "/api/v1/products?category=shirts", "", "", true},
		{"GET", "/", "agora_session=abc", "", false},
		{"GET", "/", "agora_admin=abc", "", false},
		{"GET", "/api/v1/products", "", "Bearer key", false},
		{"POST", "/cart/items", "", "", false},
		{"GET", "/admin/products", "", "", false},
		{"GET", "/api/v1/admin/orders", "", "", false},
		{"GET", "/_internal/purges", "", "", false},
		{"GET", "/account", "", "", false},
		{"GET", "/orders/ABCD-EFGH", "", "", false},
		{"GET", "/checkout", "", "", false},
		{"GET", "/readyz", "", "", false},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", c.cookie)
		}
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got := replicaFit(r); got != c.want {
			t.Errorf("%s %s cookie %q auth %q: fit %v, want %v", c.method, c.path, c.cookie, c.auth, got, c.want)
		}
	}
}
