package edge

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"agora/internal/edge/balance"
)

// drainEdge is an edge over three backends that answer with their name, and
// its admin server.
func drainEdge(t *testing.T) (*Edge, *httptest.Server, []*origin) {
	t.Helper()
	var os []*origin
	var urls []string
	for _, name := range []string{"a", "b", "c"} {
		o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			w.Write([]byte(name))
		})
		os = append(os, o)
		urls = append(urls, o.URL)
	}
	e, _ := newEdge(t, urls...)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	return e, admin, os
}

// TestAdminDrain: an operator drains a backend through the admin API; it
// gets no new requests, shows as draining and held in /_agora/status, stays
// out when the pool's set is given again (a DNS re-resolution, the
// supervisor), and takes requests again once undrained.
func TestAdminDrain(t *testing.T) {
	e, admin, os := drainEdge(t)
	a := os[0]
	st, ans := adminPost(t, admin, "/_agora/drain", testSecret, `{"backend":"`+a.URL+`"}`)
	if st != 200 || ans["state"] != "draining" || ans["held"] != true || ans["backend"] != a.URL {
		t.Fatalf("drain: %d %v", st, ans)
	}
	before := a.hits.Load()
	for range 30 {
		if resp := do(e, "GET", "http://shop.test/x", nil); resp.StatusCode != 200 {
			t.Fatalf("GET while a backend is drained: %d", resp.StatusCode)
		}
	}
	if n := a.hits.Load() - before; n != 0 {
		t.Errorf("the drained backend got %d requests", n)
	}
	if b := statusOf(t, e, a.URL); b.State != balance.Draining || !b.Held {
		t.Errorf("status of the drained backend: %+v", b)
	}

	// The set given again, then without it and with it again.
	all := e.Pool.Members()
	var us []*url.URL
	for _, b := range all {
		us = append(us, b.URL)
	}
	e.Pool.Set(us)
	e.Pool.Set(us[1:])
	e.Pool.Set(us)
	for range 30 {
		do(e, "GET", "http://shop.test/x", nil)
	}
	if n := a.hits.Load() - before; n != 0 {
		t.Errorf("the drained backend got %d requests after the set was given again", n)
	}

	// Undrained by its host:port alone.
	host := strings.TrimPrefix(a.URL, "http://")
	st, ans = adminPost(t, admin, "/_agora/undrain", testSecret, `{"backend":"`+host+`"}`)
	if st != 200 || ans["state"] != "healthy" || ans["held"] == true {
		t.Fatalf("undrain: %d %v", st, ans)
	}
	for range 60 {
		do(e, "GET", "http://shop.test/x", nil)
	}
	if a.hits.Load() == before {
		t.Error("the undrained backend got no request")
	}
}

// statusOf is the pool status of the backend at u.
func statusOf(t *testing.T, e *Edge, u string) balance.BackendStatus {
	t.Helper()
	for _, b := range e.Status().Pool.Backends {
		if b.URL == u {
			return b
		}
	}
	t.Fatalf("no backend %s in the status", u)
	return balance.BackendStatus{}
}

// TestAdminDrainRefused: without the secret nothing changes; a bad body or
// a backend the pool does not have gets a 4xx saying what is wrong.
func TestAdminDrainRefused(t *testing.T) {
	e, admin, os := drainEdge(t)
	a := os[0].URL
	for _, c := range []struct {
		path, auth, body string
		status           int
		msg              string
	}{
		{"/_agora/drain", "", `{"backend":"` + a + `"}`, 401, "Bearer"},
		{"/_agora/drain", "wrong", `{"backend":"` + a + `"}`, 401, "Bearer"},
		{"/_agora/undrain", "", `{"backend":"` + a + `"}`, 401, "Bearer"},
		{"/_agora/drain", testSecret, ``, 400, "JSON object"},
		{"/_agora/drain", testSecret, `{"url":"` + a + `"}`, 400, `unknown field "url"`},
		{"/_agora/drain", testSecret, `{"backend":""}`, 400, "give"},
		{"/_agora/drain", testSecret, `{"backend":"http://10.9.9.9:1"}`, 404, "not in the pool"},
		{"/_agora/drain", testSecret, `{"backend":"127.0.0.1"}`, 404, "not in the pool"},
		{"/_agora/undrain", testSecret, `{"backend":"http://10.9.9.9:1"}`, 404, "not in the pool"},
	} {
		st, ans := adminPost(t, admin, c.path, c.auth, c.body)
		if msg, _ := ans["error"].(string); st != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("%s %q (auth %q): %d %q, want %d saying %q", c.path, c.body, c.auth, st, msg, c.status, c.msg)
		}
	}
	if b := statusOf(t, e, a); b.State == balance.Draining {
		t.Error("a refused drain drained the backend")
	}

	// An edge without a secret refuses every change.
	e2, _ := newEdge(t, a)
	admin2 := httptest.NewServer(e2.AdminHandler(""))
	t.Cleanup(admin2.Close)
	if st, ans := adminPost(t, admin2, "/_agora/drain", "", `{"backend":"`+a+`"}`); st != 503 || !strings.Contains(ans["error"].(string), "--cluster-secret") {
		t.Errorf("drain without a secret configured: %d %v", st, ans)
	}
}

// TestAdminDrainRedacted: a backend URL with a password is shown redacted,
// and the operator may name it as shown.
func TestAdminDrainRedacted(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	u, _ := url.Parse(o.URL)
	u.User = url.UserPassword("edge", "hunter2")
	e, _ := newEdge(t)
	e.Backends = []*url.URL{u}
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	st, ans := adminPost(t, admin, "/_agora/drain", testSecret, `{"backend":"`+u.Redacted()+`"}`)
	if st != 200 || ans["backend"] != u.Redacted() {
		t.Fatalf("drain by the redacted URL: %d %v", st, ans)
	}
	st, ans = adminPost(t, admin, "/_agora/undrain", testSecret, `{"backend":"http://nobody:1"}`)
	if msg, _ := ans["error"].(string); st != 404 || strings.Contains(msg, "hunter2") || !strings.Contains(msg, u.Redacted()) {
		t.Errorf("unknown backend: %d %q: want 404 listing the pool, redacted", st, msg)
	}
}
