// Package redact makes addresses that may carry credentials safe to log and
// to put in error messages: database URLs and key=value connection strings,
// S3 media URLs, SMTP URLs. Every place an operator's address reaches a log
// line or an error goes through URL, so a password never does, in any of the
// forms a driver accepts.
package redact

import (
	"errors"
	"net/url"
	"strings"
)

// Mask replaces a secret value.
const Mask = "xxxxx"

// Unparsable stands for an address that could not be parsed: echoing it
// could echo a password, since where the password is cannot be told.
const Unparsable = "(unparsable address)"

// URL returns raw with every credential it carries replaced by Mask: the
// password of the user info (postgres://u:PW@h), query parameters that hold
// secrets (?password=, ?sslpassword=, ?secret_key=…), and the same keys of
// a key=value connection string (host=h password=PW). Words without "://"
// or "=" ("log", "sqlite:PATH", a directory) are returned as they are.
func URL(raw string) string {
	switch {
	case strings.Contains(raw, "://"):
		return redactURL(raw)
	case isKeyValue(raw):
		out, ok := redactKeyValue(raw)
		if !ok {
			return Unparsable
		}
		return out
	}
	return raw
}

// Err strips the address a *url.Error repeats (whole, password included),
// keeping only what went wrong.
func Err(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// secretKey reports whether a query or connection-string key names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"password", "secret", "token", "passwd", "pwd"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Unparsable
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return Unparsable
		}
		changed := false
		for k, vs := range q {
			if secretKey(k) {
				for i := range vs {
					vs[i] = Mask
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if u.Fragment != "" {
		u.Fragment = Mask // nothing a driver reads, but a pasted secret could sit there
	}
	return u.String()
}

// isKeyValue reports whether raw looks like a libpq key=value connection
// string: its first word is key=….
func isKeyValue(raw string) bool {
	f := strings.Fields(raw)
	if len(f) == 0 {
		return false
	}
	k, _, ok := strings.Cut(f[0], "=")
	return ok && k != "" && !strings.ContainsAny(k, ":/")
}

// redactKeyValue rewrites a key=value connection string with secret values
// masked, following libpq's syntax: values are bare words or single-quoted
// with backslash escapes, and spaces may surround '='. ok is false when the
// string does not follow it.
func redactKeyValue(raw string) (out string, ok bool) {
	var b strings.Builder
	s := raw
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return strings.TrimSpace(b.String()), true
		}
		i := strings.IndexAny(s, "= \t\n\r")
		if i <= 0 {
			return "", false
		}
		key := s[:i]
		s = strings.TrimLeft(s[i:], " \t\n\r")
		if !strings.HasPrefix(s, "=") {
			return "", false
		}
		s = strings.TrimLeft(s[1:], " \t\n\r")
		var val string
		if strings.HasPrefix(s, "'") {
			end := -1
			for j := 1; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '\'' {
					end = j
					break
				}
			}
			if end < 0 {
				return "", false
			}
			val, s = s[:end+1], s[end+1:]
		} else {
			j := strings.IndexAny(s, " \t\n\r")
			if j < 0 {
				j = len(s)
			}
			val, s = s[:j], s[j:]
		}
		if secretKey(key) {
			val = Mask
		}
		b.WriteString(key + "=" + val + " ")
	}
}
