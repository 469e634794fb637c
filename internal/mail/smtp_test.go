package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"agora/internal/mail"
)

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Grüße aus Köln. ", 40) // > 76 chars: quoted-printable soft breaks
	tests := []struct {
		name       string
		serverTLS  string // "", "starttls", "tls"
		clientTLS  string
		user, pass string
		msg        mail.Message
	}{
		{name: "plain text, no auth", clientTLS: "none",
			msg: mail.Message{To: "ada@example.com", Subject: "Your order ABCD-EFGH", Text: "Thank you.\nLine two.\n.\nA dot line."}},
		{name: "auth plain on loopback", clientTLS: "none", user: "shop", pass: "s3cret!",
			msg: mail.Message{To: "Ada Lovelace <ada@example.com>", Subject: "Reset your password", Text: "https://shop.example/account/reset/abc"}},
		{name: "html alternative and non-ASCII subject", clientTLS: "none",
			msg: mail.Message{To: "bob@example.com", Subject: "Bestellung bestätigt ✓", Text: long, HTML: "<p>" + long + "</p>"}},
		{name: "starttls with auth", serverTLS: "starttls", clientTLS: "starttls", user: "shop", pass: "pw",
			msg: mail.Message{To: "c@example.com", Subject: "Hello", Text: "over STARTTLS"}},
		{name: "implicit tls", serverTLS: "tls", clientTLS: "tls", user: "shop", pass: "pw",
			msg: mail.Message{To: "d@example.com", Subject: "Hello", Text: "over TLS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, tlsConf := startSMTP(t, tc.serverTLS, tc.user, tc.pass)
			s := &mail.SMTP{Addr: srv.Addr, Username: tc.user, Password: tc.pass, From: "Agora Shop <shop@example.com>",
				TLS: tc.clientTLS, TLSConfig: tlsConf, Timeout: 10 * time.Second}
			if err := s.Send(context.Background(), tc.msg); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := <-srv.Got
			wantTo := tc.msg.To
			if i := strings.IndexByte(wantTo, '<'); i >= 0 {
				wantTo = strings.Trim(wantTo[i:], "<>")
			}
			if got.To != wantTo || got.From != "shop@example.com" {
				t.Errorf("envelope %s → %s, want shop@example.com → %s", got.From, got.To, wantTo)
			}
			if got.Subject != tc.msg.Subject {
				t.Errorf("subject %q, want %q", got.Subject, tc.msg.Subject)
			}
			if want := strings.ReplaceAll(tc.msg.Text, "\n", "\r\n"); strings.TrimSuffix(got.Text, "\r\n") != want {
				t.Errorf("text body\n%q\nwant\n%q", got.Text, want)
			}
			if got.HTML != tc.msg.HTML {
				t.Errorf("html body %q, want %q", got.HTML, tc.msg.HTML)
			}
			if got.Authenticated != tc.user {
				t.Errorf("authenticated as %q, want %q", got.Authenticated, tc.user)
			}
			if got.Header.Get("Message-Id") == "" || got.Header.Get("Date") == "" {
				t.Errorf("missing Message-ID or Date: %v", got.Header)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Parallel()
	const password = "hunter2-very-secret"
	tests := []struct {
		name      string
		serverTLS string
		client    mail.SMTP
		msg       mail.Message
		wantErr   string
	}{
		{name: "wrong password", client: mail.SMTP{Username: "shop", Password: password, TLS: "none"}, wantErr: "auth"},
		{name: "server without STARTTLS", client: mail.SMTP{TLS: "starttls"}, wantErr: "STARTTLS"},
		{name: "default mode is starttls", client: mail.SMTP{}, wantErr: "STARTTLS"},
		{name: "header injection in subject", client: mail.SMTP{TLS: "none"},
			msg: mail.Message{To: "a@example.com", Subject: "Hi\r\nBcc: victim@example.com", Text: "x"}, wantErr: "line break"},
		{name: "bad recipient", client: mail.SMTP{TLS: "none"}, msg: mail.Message{To: "not an address", Subject: "x"}, wantErr: "recipient"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := startSMTP(t, tc.serverTLS, "shop", "the-right-one")
			if tc.client.Username == "" {
				srv.User = "" // this case is not about auth
			}
			c := tc.client
			c.Addr, c.From = srv.Addr, "shop@example.com"
			msg := tc.msg
			if msg.To == "" {
				msg = mail.Message{To: "a@example.com", Subject: "s", Text: "t"}
			}
			err := c.Send(context.Background(), msg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error repeats the password: %v", err)
			}
			if n := len(srv.messages()); n != 0 {
				t.Errorf("server received %d messages, want 0", n)
			}
		})
	}
}

func TestSMTPUnreachable(t *testing.T) {
	t.Parallel()
	srv, _ := startSMTP(t, "", "", "")
	addr := srv.Addr
	// A cancelled context stops the attempt at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &mail.SMTP{Addr: addr, From: "shop@example.com", TLS: "none"}
	if err := s.Send(ctx, mail.Message{To: "a@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("send with a cancelled context succeeded")
	}
}
