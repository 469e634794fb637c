package mail

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"agora/internal/store"
)

// Delivery policy of the outbox. A row is retried with exponential backoff
// (30s, 1m, 2m … capped at 1h) up to maxAttempts, about six hours in all;
// after that it stays in the table with its last_error for an operator.
const (
	claimBatch   = 10
	claimLease   = 10 * time.Minute // > claimBatch × the default SMTP timeout (30s), so a live worker keeps its rows
	backoffBase  = 30 * time.Second
	backoffMax   = time.Hour
	maxAttempts  = 12
	maxErrorText = 1000
)

// Worker delivers the outbox. Several workers (one per app instance) may
// run on one database: a row is claimed (claimed_until) before it is sent,
// so no two workers send it. A worker that dies mid-batch leaves its rows
// claimed until the lease ends; they are then sent again, which is the one
// case of a duplicate (at-least-once delivery).
type Worker struct {
	DB     *store.DB
	Sender Sender
	Log    *slog.Logger     // if nil, slog.Default()
	Now    func() time.Time // if nil, time.Now
	Poll   time.Duration    // pause between passes in Run; if zero, 5s
}

type outboxRow struct {
	id       int64
	msg      Message
	attempts int
}

// Run delivers pending mail until ctx is done, then returns nil. Database
// errors are logged and retried at the next poll; they never stop it.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := w.DeliverPending(ctx); err != nil && ctx.Err() == nil {
			w.log().Error("mail: outbox pass failed", "error", err)
		}
		t.Reset(poll)
	}
}

// DeliverPending makes one pass over the due rows, batch by batch, and
// returns how many it sent. Send failures are recorded on their rows (and
// logged), not returned; err reports database trouble only.
func (w *Worker) DeliverPending(ctx context.Context) (sent int, err error) {
	if w.Sender == nil {
		return 0, errNoSender
	}
	for ctx.Err() == nil {
		rows, err := w.claim(ctx)
		if err != nil {
			return sent, err
		}
		for _, r := range rows {
			ok, err := w.deliver(ctx, r)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(rows) < claimBatch {
			break
		}
	}
	return sent, nil
}

// claim marks up to claimBatch due rows as this worker's for claimLease.
// On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent claimers pass each
// other's rows instead of queueing behind them, and the conditions are
// re-checked on the latest row version, so a row is claimed once. SQLite
// has one writer, which serializes claims by itself.
func (w *Worker) claim(ctx context.Context) ([]outboxRow, error) {
	now := w.now()
	lock := ""
	if w.DB.Dialect == store.Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE email_outbox SET claimed_until = $1
		WHERE id IN (SELECT id FROM email_outbox
			WHERE sent_at IS NULL AND attempts < $2 AND next_attempt_at <= $3
			AND (claimed_until IS NULL OR claimed_until <= $3)
			ORDER BY id LIMIT $4 ` + lock + `)
		RETURNING id, recipient, subject, body_text, body_html, attempts`
	var out []outboxRow
	err := w.DB.InTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rs, err := tx.QueryContext(ctx, q, now.Add(claimLease), maxAttempts, now, claimBatch)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r outboxRow
			if err := rs.Scan(&r.id, &r.msg.To, &r.msg.Subject, &r.msg.Text, &r.msg.HTML, &r.attempts); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("mail: claim outbox rows: %w", err)
	}
	slices.SortFunc(out, func(a, b outboxRow) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// deliver sends one claimed row (outside any transaction: a slow server
// must not hold the database) and records the outcome.
func (w *Worker) deliver(ctx context.Context, r outboxRow) (bool, error) {
	sendErr := w.Sender.Send(ctx, r.msg)
	if sendErr != nil && ctx.Err() != nil {
		// Shutting down: leave the claim to expire rather than count an
		// attempt the server never really got.
		return false, nil
	}
	// The outcome is recorded even if ctx ends now: a sent message left
	// claimed would be sent again when the lease runs out.
	ctx = context.WithoutCancel(ctx)
	now := w.now()
	attempt := r.attempts + 1
	var err error
	if sendErr == nil {
		_, err = w.exec(ctx, `UPDATE email_outbox SET sent_at = $1, attempts = $2, claimed_until = NULL, last_error = ''
			WHERE id = $3`, now, attempt, r.id)
	} else {
		msg := sendErr.Error()
		if len(msg) > maxErrorText {
			msg = msg[:maxErrorText]
		}
		next := now.Add(Backoff(attempt))
		w.log().Warn("mail: delivery failed", "outbox_id", r.id, "attempt", attempt,
			"retry_at", next, "gave_up", attempt >= maxAttempts, "error", sendErr)
		_, err = w.exec(ctx, `UPDATE email_outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_until = NULL
			WHERE id = $4`, attempt, msg, next, r.id)
	}
	if err != nil {
		return false, fmt.Errorf("mail: record delivery of outbox row %d: %w", r.id, err)
	}
	return sendErr == nil, nil
}

func (w *Worker) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := w.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, q, args...)
		return err
	})
	return res, err
}

// Backoff is the wait after the given failed attempt (1-based): 30s
// doubling per attempt, capped at an hour.
func Backoff(attempt int) time.Duration {
	d := backoffBase
	for i := 1; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

var errNoSender = errors.New("mail: worker has no sender")
