package main_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var adminWay = regexp.MustCompile(`Its admin: (http://\S+/admin/)\n  Sign in as (\S+) with the password\n  (\S+)\n`)

// TestUpDemoShowsTheWayIntoTheAdmin: the first `agora up --demo` prints the
// admin's URL and a generated owner password, once; they sign in. A second
// start prints the URL but no password, and makes no second owner.
func TestUpDemoShowsTheWayIntoTheAdmin(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	// A few products first, so --demo finds a catalog and skips seeding 800
	// (slow under the race detector); the owner is made all the same.
	if code, out, errOut := run(t, "seed", "--db", "sqlite:"+filepath.Join(data, "agora.db"), "--media", filepath.Join(data, "media"), "--products", "6", "--categories", "2", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	args := []string{"up", "--demo", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "", "--drain-delay", "0s"}
	s := start(t, args...)
	s.waitOut(t, "shown only this once")
	m := adminWay.FindStringSubmatch(s.out())
	if m == nil {
		t.Fatalf("no admin URL and password on standard output:\n%s", s.out())
	}
	adminURL, email, pw := m[1], m[2], m[3]
	if adminURL != s.url+"/admin/" {
		t.Errorf("admin URL %s, want %s/admin/", adminURL, s.url)
	}
	if len(pw) < 20 || strings.Contains(s.log(), pw) {
		t.Errorf("password %q: want a generated one, never in the log", pw)
	}

	// The password opens the admin.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(s.url+"/admin/login", url.Values{"email": {email}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" || !strings.Contains(resp.Header.Get("Set-Cookie"), "agora_admin=") {
		t.Errorf("sign in with the printed password: %d %v", resp.StatusCode, resp.Header)
	}
	s.stop(t)

	// The second start: the way in, but no new password.
	s = start(t, args...)
	s.waitOut(t, "/admin/")
	if strings.Contains(s.out(), "password") {
		t.Errorf("second start shows a password again:\n%s", s.out())
	}
	s.stop(t)
	if code, out, _ := run(t, "user", "create", "--db", "sqlite:"+filepath.Join(data, "agora.db"), "--email", email, "--name", "x", "--role", "owner"); code == 0 {
		t.Errorf("the demo owner is missing after restarts: user create succeeded: %s", out)
	}
}
