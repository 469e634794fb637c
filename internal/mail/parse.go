package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// ParseSender builds a Sender from the --mail setting:
//
//	"" or "log"   log recipient and subject (the embedded default)
//	"log+body"    also log the body (development: shows reset links)
//	"smtp://user:pass@host:587?from=shop@example.com&tls=starttls&timeout=30s"
//	"smtps://user:pass@host?from=…"  implicit TLS, port 465 by default
//
// tls is starttls (default for smtp://), tls, or none; user and password
// are optional and must be percent-encoded. Errors never repeat the
// password.
func ParseSender(rawURL string, log *slog.Logger) (Sender, error) {
	switch rawURL {
	case "", "log":
		return &LogSender{Log: log}, nil
	case "log+body":
		return &LogSender{Log: log, Bodies: true}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("mail: malformed mail URL (%v): use log, log+body or smtp://user:pass@host:587?from=shop@example.com", err)
	}
	s := &SMTP{TLS: "starttls"}
	port := "587"
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.TLS, port = "tls", "465"
	default:
		return nil, fmt.Errorf("mail: unsupported mail URL %q: use log, log+body or smtp://user:pass@host:587?from=shop@example.com", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mail: mail URL %q has no host", u.Redacted())
	}
	if u.Port() != "" {
		port = u.Port()
	}
	s.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		val := v[len(v)-1]
		switch k {
		case "from":
			s.From = val
		case "tls":
			if val != "starttls" && val != "tls" && val != "none" {
				return nil, fmt.Errorf("mail: mail URL %q: tls=%q: use starttls, tls or none", u.Redacted(), val)
			}
			s.TLS = val
		case "timeout":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("mail: mail URL %q: timeout=%q: use a duration such as 30s", u.Redacted(), val)
			}
			s.Timeout = d
		default:
			return nil, fmt.Errorf("mail: mail URL %q: unknown parameter %q (known: from, tls, timeout)", u.Redacted(), k)
		}
	}
	if s.From == "" {
		return nil, fmt.Errorf("mail: mail URL %q needs ?from=shop@example.com", u.Redacted())
	}
	if strings.ContainsAny(s.From, "\r\n") {
		return nil, errors.New("mail: from address has a line break")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return nil, fmt.Errorf("mail: mail URL %q: from=%q is not an address: %v", u.Redacted(), s.From, err)
	}
	return s, nil
}
