package app

import (
	"context"
	"sync"
	"time"

	"agora/internal/mail"
)

// SessionCleanupEvery is how often Run deletes expired rows: shopper and
// staff sessions, password resets, login failures past their window. Every
// instance does it; the deletes are idempotent, and indexes keep them cheap.
const SessionCleanupEvery = 10 * time.Minute

// cleanup deletes expired rows of one kind and says how many.
type cleanup struct {
	name string
	run  func(context.Context) (int64, error)
}

// cleanupsOf lists the cleanups of the services deps has.
func cleanupsOf(deps Deps) []cleanup {
	var cs []cleanup
	if deps.Sessions != nil {
		cs = append(cs, cleanup{"sessions", deps.Sessions.Cleanup})
	}
	if deps.Customers != nil {
		cs = append(cs, cleanup{"login failures", deps.Customers.CleanupFailures},
			cleanup{"password resets", deps.Customers.CleanupResets})
	}
	if deps.Staff != nil {
		cs = append(cs, cleanup{"staff sessions", deps.Staff.CleanupSessions})
	}
	return cs
}

// background starts the loops Run owns: the email outbox worker, the
// unpaid-order sweep, the CSV import worker and the session cleanup. They run until ctx ends; the returned wait blocks until
// every one has returned, so none outlives Run.
func (s *Server) background(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if s.mail != nil {
		w := &mail.Worker{DB: s.db, Sender: s.mail, Log: s.log}
		wg.Go(func() {
			if err := w.Run(ctx); err != nil {
				s.log.Error("mail worker stopped", "err", err)
			}
		})
	}
	if s.sweep != nil {
		if s.sweep.Log == nil {
			s.sweep.Log = s.log
		}
		wg.Go(func() { _ = s.sweep.Run(ctx) })
	}
	if s.imports != nil {
		wg.Go(func() { _ = s.imports.Run(ctx) })
	}
	if s.cfg.ClusterSecret != "" { // edges follow the purge log
		wg.Go(func() { s.purges.listen(ctx, s.log) })
	}
	if len(s.cleanups) > 0 {
		wg.Go(func() { s.cleanExpired(ctx) })
	}
	return wg.Wait
}

// cleanExpired runs every cleanup now and every SessionCleanupEvery until
// ctx ends. A failure is logged and retried at the next tick.
func (s *Server) cleanExpired(ctx context.Context) {
	t := time.NewTicker(SessionCleanupEvery)
	defer t.Stop()
	for {
		for _, c := range s.cleanups {
			n, err := c.run(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("cleanup failed", "what", c.name, "err", err)
			case n > 0:
				s.log.Debug("expired rows deleted", "what", c.name, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
