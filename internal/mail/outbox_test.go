package mail_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/mail"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func enqueue(t *testing.T, db *store.DB, msgs ...mail.Message) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		for _, m := range msgs {
			if err := mail.Enqueue(context.Background(), tx, m, t0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type outboxState struct {
	Attempts  int
	LastError string
	Sent      bool
	NextAt    time.Time
}

func rowState(t *testing.T, db *store.DB, subject string) outboxState {
	t.Helper()
	var s outboxState
	var sent sql.NullTime
	err := db.QueryRow(context.Background(), `SELECT attempts, last_error, sent_at, next_attempt_at FROM email_outbox WHERE subject = $1`, subject).
		Scan(&s.Attempts, &s.LastError, &sent, &s.NextAt)
	if err != nil {
		t.Fatal(err)
	}
	s.Sent = sent.Valid
	s.NextAt = s.NextAt.UTC()
	return s
}

func TestEnqueueIsTransactional(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv, _ := startSMTP(t, "", "", "")
		rollback := fmt.Errorf("order failed")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if err := mail.Enqueue(ctx, tx, mail.Message{To: "a@example.com", Subject: "rolled back", Text: "x"}, t0); err != nil {
				return err
			}
			return rollback
		})
		if err != rollback {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			return mail.Enqueue(ctx, tx, mail.Message{To: "a@example.com", Subject: "evil\nBcc: x@example.com"}, t0)
		})
		if err == nil {
			t.Fatal("a subject with a line break was enqueued")
		}
		enqueue(t, db, mail.Message{To: "a@example.com", Subject: "committed", Text: "hello", HTML: "<p>hello</p>"})

		w := &mail.Worker{DB: db, Sender: &mail.SMTP{Addr: srv.Addr, From: "shop@example.com", TLS: "none"}, Now: (clocktest.New(t0)).Now}
		sent, err := w.DeliverPending(ctx)
		if err != nil || sent != 1 {
			t.Fatalf("DeliverPending = %d, %v; want 1, nil", sent, err)
		}
		got := srv.messages()
		if len(got) != 1 || got[0].Subject != "committed" || got[0].Text != "hello" || got[0].HTML != "<p>hello</p>" {
			t.Fatalf("server got %+v", got)
		}
		if sent, _ := w.DeliverPending(ctx); sent != 0 {
			t.Errorf("second pass sent %d, want 0", sent)
		}
		if s := rowState(t, db, "committed"); !s.Sent || s.Attempts != 1 {
			t.Errorf("row after delivery: %+v", s)
		}
	})
}

func TestWorkerRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const password = "smtp-PASSWORD-never-logged"
		srv, _ := startSMTP(t, "", "shop", password)
		var logs bytes.Buffer
		clk := clocktest.New(t0)
		sender := &mail.SMTP{Addr: srv.Addr, Username: "shop", Password: "wrong-" + password, From: "shop@example.com", TLS: "none"}
		w := &mail.Worker{DB: db, Sender: sender, Now: clk.Now,
			Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		enqueue(t, db, mail.Message{To: "a@example.com", Subject: "retry me", Text: "x"})

		// 1: wrong password → recorded, retried after the first backoff.
		if sent, err := w.DeliverPending(ctx); sent != 0 || err != nil {
			t.Fatalf("DeliverPending = %d, %v; want 0, nil", sent, err)
		}
		s := rowState(t, db, "retry me")
		if s.Sent || s.Attempts != 1 || !strings.Contains(s.LastError, "auth") || !s.NextAt.Equal(t0.Add(mail.Backoff(1))) {
			t.Fatalf("after a failed attempt: %+v", s)
		}
		// Not due yet: nothing is tried.
		clk.Advance(mail.Backoff(1) - time.Second)
		if sent, _ := w.DeliverPending(ctx); sent != 0 {
			t.Fatal("retried before the backoff ended")
		}
		if s := rowState(t, db, "retry me"); s.Attempts != 1 {
			t.Fatalf("attempts = %d before the backoff ended", s.Attempts)
		}

		// 2: right password, but the server answers 451 → second backoff, doubled.
		sender.Password = password
		srv.Failures.Store(1)
		clk.Advance(time.Second)
		if sent, _ := w.DeliverPending(ctx); sent != 0 {
			t.Fatal("sent despite 451")
		}
		s = rowState(t, db, "retry me")
		if s.Attempts != 2 || !strings.Contains(s.LastError, "451") || !s.NextAt.Equal(clk.Now().Add(mail.Backoff(2))) || mail.Backoff(2) != 2*mail.Backoff(1) {
			t.Fatalf("after the 451: %+v", s)
		}

		// 3: due again and the server is fine.
		clk.Advance(mail.Backoff(2))
		if sent, err := w.DeliverPending(ctx); sent != 1 || err != nil {
			t.Fatalf("DeliverPending = %d, %v; want 1, nil", sent, err)
		}
		if s := rowState(t, db, "retry me"); !s.Sent || s.Attempts != 3 || s.LastError != "" {
			t.Fatalf("after delivery: %+v", s)
		}
		if got := srv.messages(); len(got) != 1 {
			t.Fatalf("server got %d messages, want 1", len(got))
		}
		if !strings.Contains(logs.String(), "delivery failed") {
			t.Errorf("failures were not logged: %s", logs.String())
		}
		if strings.Contains(logs.String(), password) {
			t.Errorf("the SMTP password reached the log: %s", logs.String())
		}
	})
}

func TestBackoffIsCapped(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for a := 1; a <= 30; a++ {
		d := mail.Backoff(a)
		if d < prev || d > time.Hour {
			t.Fatalf("Backoff(%d) = %v after %v", a, d, prev)
		}
		prev = d
	}
	if prev != time.Hour {
		t.Errorf("backoff tops out at %v, want 1h", prev)
	}
}

// Two workers, each with its own connection pool as two app instances
// would have, deliver 50 rows at once: every message arrives exactly once.
func TestTwoWorkersNeverSendTwice(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := storetest.URL(t, d)
			var dbs [2]*store.DB
			for i := range dbs {
				db, err := store.Open(ctx, u, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			srv, _ := startSMTP(t, "", "", "")
			const n = 50
			var msgs []mail.Message
			for i := range n {
				msgs = append(msgs, mail.Message{To: fmt.Sprintf("c%d@example.com", i), Subject: fmt.Sprintf("m%d", i), Text: "x"})
			}
			enqueue(t, dbs[0], msgs...)

			var wg sync.WaitGroup
			var sent [2]int
			var errs [2]error
			for i := range dbs {
				w := &mail.Worker{DB: dbs[i], Sender: &mail.SMTP{Addr: srv.Addr, From: "shop@example.com", TLS: "none"}, Now: (clocktest.New(t0)).Now}
				wg.Go(func() { sent[i], errs[i] = w.DeliverPending(ctx) })
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			if sent[0]+sent[1] != n {
				t.Errorf("workers report %d + %d sent, want %d in all", sent[0], sent[1], n)
			}
			count := map[string]int{}
			for _, m := range srv.messages() {
				count[m.Subject]++
			}
			for _, m := range msgs {
				if count[m.Subject] != 1 {
					t.Errorf("%s arrived %d times", m.Subject, count[m.Subject])
				}
			}
			t.Logf("split between workers: %d / %d", sent[0], sent[1])
		})
	}
}

func TestWorkerRunDeliversUntilCancelled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, "", "", "")
		ctx, cancel := context.WithCancel(context.Background())
		w := &mail.Worker{DB: db, Sender: &mail.SMTP{Addr: srv.Addr, From: "shop@example.com", TLS: "none"}, Poll: 10 * time.Millisecond}
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			return mail.Enqueue(ctx, tx, mail.Message{To: "a@example.com", Subject: "while running", Text: "x"}, time.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := <-srv.Got; got.Subject != "while running" {
			t.Errorf("got %q", got.Subject)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	})
}
