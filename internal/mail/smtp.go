package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"time"
)

// SMTP sends each message over its own connection to a submission server.
// It never logs or returns the password: net/smtp's errors carry the
// server's reply, not the credentials.
type SMTP struct {
	Addr     string // host:port
	Username string // empty: no AUTH
	Password string
	From     string // "shop@example.com" or "Shop <shop@example.com>"
	// TLS is "starttls" (the default when empty: upgrade a plain connection,
	// and refuse to go on when the server does not offer it), "tls"
	// (implicit TLS, port 465), or "none" (loopback and tests only;
	// net/smtp then refuses AUTH PLAIN to any host but localhost).
	TLS string
	// Timeout bounds one whole delivery (dial to QUIT). If zero, 30s.
	Timeout time.Duration
	// TLSConfig, if set, is used for "tls" and "starttls" (tests pass their
	// own roots); its ServerName defaults to the host of Addr.
	TLSConfig *tls.Config
}

// LogValue keeps the password out of structured logs even when someone
// logs the whole sender.
func (s *SMTP) LogValue() slog.Value {
	return slog.GroupValue(slog.String("addr", s.Addr), slog.String("username", s.Username),
		slog.String("from", s.From), slog.String("tls", s.TLS))
}

// String does the same for fmt.
func (s *SMTP) String() string {
	return fmt.Sprintf("smtp://%s (user %q, from %q, tls %q)", s.Addr, s.Username, s.From, s.TLS)
}

// Send delivers m, or returns why not. The caller (the outbox Worker)
// decides about retries.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: bad sender address %q: %w", s.From, err)
	}
	body, err := format(from, m, time.Now())
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := s.deliver(c, from.Address, m.To, body); err != nil {
		return fmt.Errorf("mail: smtp %s: %w", s.Addr, err)
	}
	return nil
}

// dial connects (with TLS for "tls") and bounds the whole conversation by
// ctx: the deadline covers slow servers, the AfterFunc covers cancellation.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: bad smtp address %q: %w", s.Addr, err)
	}
	var conn net.Conn
	nd := &net.Dialer{}
	switch s.TLS {
	case "tls":
		conn, err = (&tls.Dialer{NetDialer: nd, Config: s.tlsConfig(host)}).DialContext(ctx, "tcp", s.Addr)
	case "", "starttls", "none":
		conn, err = nd.DialContext(ctx, "tcp", s.Addr)
	default:
		return nil, fmt.Errorf("mail: unknown TLS mode %q: use starttls, tls or none", s.TLS)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: connect to %s: %w", s.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		stop()
		conn.Close()
		return nil, fmt.Errorf("mail: smtp %s: greeting: %w", s.Addr, err)
	}
	if s.TLS == "" || s.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("mail: smtp %s does not offer STARTTLS; refusing to send in clear (tls=none is for loopback only)", s.Addr)
		}
		if err := c.StartTLS(s.tlsConfig(host)); err != nil {
			c.Close()
			return nil, fmt.Errorf("mail: smtp %s: starttls: %w", s.Addr, err)
		}
	}
	return c, nil
}

func (s *SMTP) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

func (s *SMTP) deliver(c *smtp.Client, from, to string, body []byte) error {
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("server does not offer AUTH but a username is configured")
		}
		host, _, _ := net.SplitHostPort(s.Addr)
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("auth as %q: %w", s.Username, err)
		}
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The server has accepted the message: a failing QUIT must not turn
	// into a retry and a second copy.
	_ = c.Quit()
	return nil
}
