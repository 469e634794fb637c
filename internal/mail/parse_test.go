package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"agora/internal/mail"
)

func TestParseSender(t *testing.T) {
	t.Parallel()
	const secret = "p%40ss-SECRET"
	tests := []struct {
		in      string
		want    mail.SMTP // for smtp URLs
		log     bool
		bodies  bool
		wantErr string
	}{
		{in: "", log: true},
		{in: "log", log: true},
		{in: "log+body", log: true, bodies: true},
		{in: "smtp://shop:" + secret + "@mail.example.com:2525?from=shop@example.com",
			want: mail.SMTP{Addr: "mail.example.com:2525", Username: "shop", Password: "p@ss-SECRET", From: "shop@example.com", TLS: "starttls"}},
		{in: "smtp://mail.example.com?from=Shop%20%3Cshop@example.com%3E&tls=none&timeout=5s",
			want: mail.SMTP{Addr: "mail.example.com:587", From: "Shop <shop@example.com>", TLS: "none", Timeout: 5 * time.Second}},
		{in: "smtps://u:" + secret + "@mail.example.com?from=shop@example.com",
			want: mail.SMTP{Addr: "mail.example.com:465", Username: "u", Password: "p@ss-SECRET", From: "shop@example.com", TLS: "tls"}},
		{in: "smtp://u:" + secret + "@mail.example.com", wantErr: "needs ?from="},
		{in: "smtp://u:" + secret + "@mail.example.com?from=shop@example.com&tls=ssl", wantErr: "tls="},
		{in: "smtp://u:" + secret + "@mail.example.com?from=shop@example.com&tsl=none", wantErr: "unknown parameter"},
		{in: "smtp://u:" + secret + "@mail.example.com?from=shop@example.com&timeout=soon", wantErr: "timeout"},
		{in: "smtp://u:" + secret + "@mail.example.com?from=not-an-address", wantErr: "not an address"},
		{in: "smtp://u:" + secret + "@:25?from=shop@example.com", wantErr: "no host"},
		{in: "http://u:" + secret + "@mail.example.com", wantErr: "unsupported"},
		{in: "smtp://u:" + secret + "@mail.example.com:port?from=a@b.c", wantErr: "malformed"},
		{in: "sendmail", wantErr: "unsupported"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := mail.ParseSender(tc.in, slog.Default())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error repeats the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.log {
				l, ok := s.(*mail.LogSender)
				if !ok || l.Bodies != tc.bodies {
					t.Fatalf("got %#v, want a LogSender with Bodies=%v", s, tc.bodies)
				}
				return
			}
			got, ok := s.(*mail.SMTP)
			if !ok || *got != tc.want {
				t.Fatalf("got %#v, want %#v", s, tc.want)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("configured", "sender", got)
			if str := buf.String() + got.String(); strings.Contains(str, "SECRET") {
				t.Errorf("logging the sender shows the password: %s", str)
			}
		})
	}
}

func TestLogSender(t *testing.T) {
	t.Parallel()
	msg := mail.Message{To: "a@example.com", Subject: "Reset your password", Text: "https://shop/account/reset/TOKEN123"}
	for _, bodies := range []bool{false, true} {
		var buf bytes.Buffer
		s := &mail.LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil)), Bodies: bodies}
		if err := s.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "a@example.com") || !strings.Contains(out, "Reset your password") {
			t.Errorf("log lacks recipient or subject: %s", out)
		}
		if strings.Contains(out, "TOKEN123") != bodies {
			t.Errorf("Bodies=%v but body logged=%v: %s", bodies, !bodies, out)
		}
	}
}
