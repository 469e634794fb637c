// Package mail sends Agora's e-mail: a small Sender interface with an SMTP
// and a log implementation, and a transactional outbox (the email_outbox
// table) that the code deciding to send writes in its own transaction and a
// Worker delivers later. It owns email_outbox and nothing else; it knows
// nothing of orders or customers, only of messages.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Message is one e-mail to one recipient.
type Message struct {
	To      string // a bare address ("a@example.com") or "Name <a@example.com>"
	Subject string
	Text    string // the plain-text body, always sent
	HTML    string // optional: sent as an alternative to Text when set
}

// Sender delivers one message now. Implementations are safe for concurrent
// use and never log secrets (passwords, message bodies unless asked).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Compile-time guards.
var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*LogSender)(nil)
)

// maxSubject bounds a subject line; the rest of the limits are the SMTP
// server's business.
const maxSubject = 998

// validate rejects messages that could not be sent as intended: a missing
// or malformed recipient, or a header value with a line break (which would
// let a value inject headers of its own).
func (m Message) validate() error {
	if strings.TrimSpace(m.To) == "" {
		return errors.New("mail: message has no recipient")
	}
	if strings.ContainsAny(m.To, "\r\n") || strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("mail: line break in recipient or subject")
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("mail: bad recipient: %w", err)
	}
	if len(m.Subject) > maxSubject {
		return errors.New("mail: subject too long")
	}
	return nil
}
