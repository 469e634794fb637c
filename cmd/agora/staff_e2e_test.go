package main_test

// The operator's first steps on a fresh install, with the real binary:
// create the owner and a clerk, make API keys, use and revoke them.

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// runStdin is run with standard input.
func runStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("agora %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

var (
	generatedPassword = regexp.MustCompile(`^[A-Za-z0-9_-]{27}\n$`)
	printedKey        = regexp.MustCompile(`^(agk_[A-Za-z0-9_-]{43})\n$`)
)

// TestStaffCommandLine: `user create` then `apikey create`, and the key
// works at once on a running `agora app`; `apikey revoke` and it stops on
// the app's next request.
func TestStaffCommandLine(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := storetest.URL(t, d)
			if code, _, errOut := run(t, "user", "create", "--db", db, "--email", "o@example.com", "--name", "O", "--role", "owner"); code != 1 || !strings.Contains(errOut, "agora migrate") {
				t.Errorf("user create before migrate: %d %q; want 1 and a hint to migrate", code, errOut)
			}
			if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %d %s", code, errOut)
			}

			// The owner, with a generated password printed once.
			code, ownerPW, errOut := run(t, "user", "create", "--db", db, "--email", "Olive@Example.com", "--name", "Olive Owner", "--role", "owner")
			if code != 0 || !generatedPassword.MatchString(ownerPW) || !strings.Contains(errOut, "shown only this once") {
				t.Fatalf("user create: %d %q %q", code, ownerPW, errOut)
			}
			ownerPW = strings.TrimSpace(ownerPW)
			// A clerk, with the password on stdin and the flags after the subcommand's word or before it.
			code, out, errOut := runStdin(t, "clerk password 1\n", "user", "--db", db, "create", "--email", "carl@example.com", "--name", "Carl Clerk", "--role", "staff", "--password-stdin")
			if code != 0 || strings.TrimSpace(out) != "created staff carl@example.com (id 2)" {
				t.Fatalf("user create --password-stdin: %d %q %q", code, out, errOut)
			}

			code, out, errOut = run(t, "apikey", "create", "--db", db, "--email", "olive@example.com", "--name", "deploy script")
			m := printedKey.FindStringSubmatch(out)
			if code != 0 || m == nil || !strings.Contains(errOut, "shown only this once") {
				t.Fatalf("apikey create: %d %q %q", code, out, errOut)
			}
			ownerKey := m[1]
			_, out, _ = run(t, "apikey", "create", "--db", db, "--email", "carl@example.com", "--name", "packing station")
			m = printedKey.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("apikey create for the clerk: %q", out)
			}
			clerkKey := m[1]

			// The passwords work…
			dbh, err := store.Open(context.Background(), db, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer dbh.Close()
			svc := &staff.Service{DB: dbh}
			for email, pw := range map[string]string{"olive@example.com": ownerPW, "carl@example.com": "clerk password 1"} {
				if _, err := svc.Authenticate(context.Background(), email, pw, ""); err != nil {
					t.Errorf("log in as %s with the password the command took: %v", email, err)
				}
			}
			// …and so do the keys, on a running app, with the roles given.
			app := start(t, "app", "--db", db, "--media", t.TempDir(), "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--drain-delay", "0s")
			call := func(method, path, key string) (int, string) {
				t.Helper()
				var body io.Reader
				if method != "GET" {
					body = strings.NewReader(`{"name":"Shoes"}`)
				}
				req, _ := http.NewRequest(method, app.url+path, body)
				req.Header.Set("Content-Type", "application/json")
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			for _, tc := range []struct {
				name, method, path, key string
				status                  int
				body                    string
			}{
				{"no key", "GET", "/api/v1/admin/orders", "", 401, `"unauthorized"`},
				{"owner reads orders", "GET", "/api/v1/admin/orders", ownerKey, 200, ""},
				{"clerk reads orders", "GET", "/api/v1/admin/orders", clerkKey, 200, ""},
				{"clerk cannot change the catalog", "POST", "/api/v1/admin/categories", clerkKey, 403, `"forbidden"`},
				{"owner can", "POST", "/api/v1/admin/categories", ownerKey, 201, ""},
			} {
				if code, body := call(tc.method, tc.path, tc.key); code != tc.status || !strings.Contains(body, tc.body) {
					t.Errorf("%s: %s %s: %d %q, want %d %q", tc.name, tc.method, tc.path, code, body, tc.status, tc.body)
				}
			}

			// The list shows prefixes and use, never the keys.
			code, out, _ = run(t, "apikey", "list", "--db", db)
			if code != 0 || strings.Contains(out, ownerKey) || strings.Contains(out, clerkKey) ||
				!strings.Contains(out, ownerKey[:12]+"…") || !strings.Contains(out, "packing station") || !strings.Contains(out, "carl@example.com") {
				t.Errorf("apikey list:\n%s", out)
			}
			if line := regexp.MustCompile(`(?m)^.*packing station.*$`).FindString(out); strings.Contains(line, "never") {
				t.Errorf("a used key is listed as never used: %q", line)
			}

			// Revoked from the command line, refused on the next request.
			if code, out, errOut := run(t, "apikey", "revoke", "--db", db, "--id", "1"); code != 0 || !strings.Contains(out, "revoked API key 1") {
				t.Fatalf("apikey revoke: %d %q %q", code, out, errOut)
			}
			if code, body := call("GET", "/api/v1/admin/orders", ownerKey); code != 401 || !strings.Contains(body, `"unauthorized"`) {
				t.Errorf("revoked key on the running app: %d %q", code, body)
			}
			if code, _ := call("GET", "/api/v1/admin/orders", clerkKey); code != 200 {
				t.Errorf("the other key stopped too: %d", code)
			}
			app.stop(t)
		})
	}
}

func TestStaffCommandLineMistakes(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t, store.SQLite)
	if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	runStdin(t, "", "user", "create", "--db", db, "--email", "o@example.com", "--name", "O", "--role", "owner")
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"no subcommand", "", []string{"user"}, 2, "name what to do: create"},
		{"unknown subcommand", "", []string{"apikey", "delete"}, 2, `unknown subcommand "delete"`},
		{"bad fields at once", "", []string{"user", "create", "--db", db, "--email", "nope", "--name", "", "--role", "admin"}, 2, "--email: Enter an email address such as name@example.com. --name: Name is required. --role: Choose a role: owner, manager, staff."},
		{"short password", "short\n", []string{"user", "create", "--db", db, "--email", "p@example.com", "--name", "P", "--role", "staff", "--password-stdin"}, 2, "at least 10 characters"},
		{"duplicate", "", []string{"user", "create", "--db", db, "--email", "O@example.com", "--name", "O", "--role", "owner"}, 1, "already exists"},
		{"key for nobody", "", []string{"apikey", "create", "--db", db, "--email", "x@example.com", "--name", "n"}, 1, "agora user create"},
		{"key without a name", "", []string{"apikey", "create", "--db", db, "--email", "o@example.com"}, 2, "--name: Name is required."},
		{"revoke without id", "", []string{"apikey", "revoke", "--db", db}, 2, "--id"},
		{"revoke unknown", "", []string{"apikey", "revoke", "--db", db, "--id", "42"}, 1, "No such API key."},
		{"stray argument", "", []string{"apikey", "list", "--db", db, "extra"}, 2, `unexpected argument "extra"`},
		{"unknown flag", "", []string{"apikey", "list", "--nope"}, 2, "flag provided but not defined: -nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runStdin(t, c.stdin, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and one line with %q", code, out, errOut, c.code, c.want)
			}
		})
	}
	// Help, also after the subcommand's word, on stdout with exit 0.
	for _, args := range [][]string{{"user", "--help"}, {"user", "create", "--help"}, {"apikey", "--help"}, {"apikey", "revoke", "-h"}} {
		code, out, _ := run(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: agora "+args[0]) || !strings.Contains(out, "[AGORA_DB]") || !strings.Contains(out, "[AGORA_EMAIL]") {
			t.Errorf("agora %v: exit %d\n%s", args, code, out)
		}
	}
}
