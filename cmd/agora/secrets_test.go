package main

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeEdgeAdmin answers purges like the edge's admin API and records the
// secret each one carried.
func fakeEdgeAdmin(t *testing.T) (url string, secrets chan string) {
	secrets = make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secrets <- strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"seq":1}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, secrets
}

func runMain(args []string, env map[string]string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	code = Main(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

const argvWarning = "a secret was given on the command line"

// TestClusterSecretFromFile: --cluster-secret-file (and its environment
// twin) read the secret's first line; an empty or missing file is refused.
func TestClusterSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "secret")
	os.WriteFile(good, []byte("from-the-file\nignored\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)

	admin, secrets := fakeEdgeAdmin(t)
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"--cluster-secret-file", good}, nil},
		{"environment", nil, map[string]string{"AGORA_CLUSTER_SECRET_FILE": good}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"purge", "--admin", admin}, c.args...), "home")
			code, out, errOut := runMain(args, c.env)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
			if got := <-secrets; got != "from-the-file" {
				t.Errorf("the edge got secret %q, want the file's first line", got)
			}
			if strings.Contains(errOut, argvWarning) {
				t.Errorf("warned about a secret from a file: %s", errOut)
			}
		})
	}
	for _, c := range []struct{ name, path, want string }{
		{"empty file", empty, "is empty"},
		{"missing file", filepath.Join(dir, "nope"), "cannot read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runMain([]string{"purge", "--admin", admin, "--cluster-secret-file", c.path, "home"}, nil)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, errOut, c.want)
			}
		})
	}
	// Every command that takes --cluster-secret takes the file form too.
	for _, cmd := range commands() {
		fs := flagsOf(cmd)
		if fs.Lookup("cluster-secret") != nil && fs.Lookup("cluster-secret-file") == nil {
			t.Errorf("agora %s has --cluster-secret but no --cluster-secret-file", cmd.name)
		}
	}
}

// TestSecretOnTheCommandLineWarns: a secret in argv is readable by every
// user of the machine (ps); say so once, naming the flags but never the
// secret, and not for secrets from the environment.
func TestSecretOnTheCommandLineWarns(t *testing.T) {
	admin, secrets := fakeEdgeAdmin(t)
	code, _, errOut := runMain([]string{"purge", "--admin", admin, "--cluster-secret", "s3cret-value", "home"}, nil)
	<-secrets
	if code != 0 || strings.Count(errOut, argvWarning) != 1 || !strings.Contains(errOut, "--cluster-secret") || strings.Contains(errOut, "s3cret-value") {
		t.Errorf("secret in argv: exit %d, stderr %q; want one warning naming --cluster-secret", code, errOut)
	}
	code, _, errOut = runMain([]string{"purge", "--admin", admin, "home"}, map[string]string{"AGORA_CLUSTER_SECRET": "s3cret-value"})
	<-secrets
	if code != 0 || strings.Contains(errOut, argvWarning) {
		t.Errorf("secret in the environment: exit %d, stderr %q; want no warning", code, errOut)
	}

	// Addresses warn only when they carry a password.
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"migrate", "--db", "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"}, true},
		{[]string{"migrate", "--db=postgres://u@127.0.0.1:1/x?password=hunter2&connect_timeout=1"}, true},
		{[]string{"migrate", "--db", "postgres://u@127.0.0.1:1/x?connect_timeout=1"}, false},
		{[]string{"migrate", "--db", "sqlite:" + filepath.Join(t.TempDir(), "a.db")}, false},
	} {
		_, _, errOut := runMain(c.args, nil)
		if got := strings.Count(errOut, argvWarning); got != map[bool]int{true: 1, false: 0}[c.warn] {
			t.Errorf("%v: %d warnings, want warn=%v: %s", c.args, got, c.warn, errOut)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("%v: the password leaked: %s", c.args, errOut)
		}
	}
}

// flagsOf declares cmd's flags into a fresh set.
func flagsOf(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	if cmd.setup != nil {
		cmd.setup(fs)
	}
	return fs
}
