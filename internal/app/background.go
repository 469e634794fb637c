package app

import (
	"context"
	"sync"
	"time"

	"agora/internal/mail"
)

// SessionCleanupEvery is how often Run deletes expired sessions and
// password resets. Every instance does it; the deletes are idempotent, and
// the expires_at indexes keep them cheap.
const SessionCleanupEvery = 10 * time.Minute

// background starts the loops Run owns: the email outbox worker and the
// session cleanup. They run until ctx ends; the returned wait blocks until
// every one has returned, so none outlives Run.
func (s *Server) background(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if s.mail != nil {
		w := &mail.Worker{DB: s.db, Sender: s.mail, Log: s.log}
		wg.Go(func() {
			if err := w.Run(ctx); err != nil {
				s.log.Error("app: mail worker stopped", "err", err)
			}
		})
	}
	if s.sessions != nil {
		wg.Go(func() { s.cleanSessions(ctx) })
	}
	return wg.Wait
}

// cleanSessions deletes expired sessions now and every SessionCleanupEvery
// until ctx ends. A failure is logged and retried at the next tick.
func (s *Server) cleanSessions(ctx context.Context) {
	t := time.NewTicker(SessionCleanupEvery)
	defer t.Stop()
	for {
		n, err := s.sessions.Cleanup(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("app: session cleanup failed", "err", err)
		case n > 0:
			s.log.Debug("app: expired sessions deleted", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
