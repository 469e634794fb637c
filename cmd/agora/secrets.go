package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"agora/internal/redact"
)

// secretVar declares a secret flag and its -file twin, which reads the
// secret from a file (the form secret managers and container platforms
// mount): --cluster-secret and --cluster-secret-file. Either one also comes
// from its environment variable. Given both, the last one parsed wins.
func secretVar(fs *flag.FlagSet, p *string, name, usage string) {
	fs.StringVar(p, name, "", usage+"; prefer "+envName(name)+" or --"+name+"-file: the command line is visible to every user of the machine (ps)")
	fs.Func(name+"-file", "file holding --"+name+" (its first line; for secret managers and mounted secrets)", func(path string) error {
		s, err := readSecretFile(path)
		if err != nil {
			return err
		}
		*p = s
		return nil
	})
}

// readSecretFile returns the first line of the file at path; an empty one
// is refused, so a missing mount does not run with no secret at all.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("cannot read %s: %v", path, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.TrimSpace(line) == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return line, nil
}

// secretFlags are the flags that hold a secret: always (cluster-secret), or
// when the address carries a password or credentials (a database, mail or
// media URL).
var secretFlags = []string{"cluster-secret", "stripe-secret-key", "stripe-webhook-secret", "db", "smtp", "media"}

// plainSecrets are the secretFlags that are a secret whole (not a URL
// with a password in it).
var plainSecrets = []string{"cluster-secret", "stripe-secret-key", "stripe-webhook-secret"}

// warnSecretsInArgs warns, once, when a secret was given on the command line
// (args), where any user of the machine can read it through ps or /proc,
// instead of in the environment or a file. Values set from the environment
// are not warned about; only a flag spelled in args is.
func warnSecretsInArgs(log *slog.Logger, fs *flag.FlagSet, args []string) {
	var named []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil || !slices.Contains(secretFlags, name) || slices.Contains(named, "--"+name) {
			continue
		}
		if v := f.Value.String(); slices.Contains(plainSecrets, name) && v != "" || redact.URL(v) != v {
			named = append(named, "--"+name)
		}
	}
	if len(named) == 0 {
		return
	}
	envs := make([]string, len(named))
	for i, n := range named {
		envs[i] = envName(strings.TrimPrefix(n, "--"))
	}
	log.Warn("a secret was given on the command line, where every user of this machine can read it (ps, /proc): pass it in the environment or a file instead",
		"flags", strings.Join(named, ","), "environment", strings.Join(envs, ","))
}
