package mail

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Enqueue writes m to the outbox in the caller's transaction: the mail goes
// out if and only if the change that decided to send it commits, and a slow
// or dead mail server never slows the request (the Worker delivers it).
func Enqueue(ctx context.Context, tx *sql.Tx, m Message, now time.Time) error {
	if err := m.validate(); err != nil {
		return err
	}
	now = now.UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_outbox
		(recipient, subject, body_text, body_html, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, m.To, m.Subject, m.Text, m.HTML, now); err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	return nil
}
