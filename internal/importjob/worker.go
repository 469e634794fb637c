package importjob

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/store"
)

// errLeaseLost stops a worker whose job another worker took over (its
// lease ran out while it was paused, say): it must not write any more.
var errLeaseLost = errors.New("importjob: the job's lease passed to another worker")

// Run works on jobs until ctx ends, then returns nil, leaving the job it
// held to the next worker at once (a drained instance hands over without
// waiting for the lease to run out). Database errors are logged and tried
// again at the next poll.
func (s *Service) Run(ctx context.Context) error {
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		worked, err := s.Work(ctx)
		if err != nil && ctx.Err() == nil {
			s.log().Error("import: worker pass failed", "err", err)
		}
		if worked && err == nil {
			t.Reset(0) // more may be waiting
		} else {
			t.Reset(poll)
		}
	}
}

// Work claims one job that needs a worker and takes it as far as it can
// go: a check to checked, an apply to done, an undo to undone. It reports
// whether it found a job.
func (s *Service) Work(ctx context.Context) (bool, error) {
	owner := s.owner()
	id, state, err := s.claim(ctx, owner)
	if err != nil || id == 0 {
		return false, err
	}
	jctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	renewed := make(chan struct{})
	go func() { defer close(renewed); s.renew(jctx, stop, id, owner) }()
	switch state {
	case Checking:
		err = s.check(jctx, id, owner)
	case Queued, Applying:
		err = s.apply(jctx, id, owner)
	case Undoing:
		err = s.undo(jctx, id, owner)
	}
	stop(nil)
	<-renewed
	if cause := context.Cause(jctx); errors.Is(cause, errLeaseLost) || errors.Is(err, errLeaseLost) {
		s.log().Warn("import: the job was cancelled or taken over by another worker", "job", id)
		return true, nil
	}
	if err != nil {
		// Not finished (the database went away, the instance is stopping):
		// hand the job over now rather than when the lease runs out.
		s.release(id, owner)
		if ctx.Err() != nil {
			return true, nil
		}
		return true, fmt.Errorf("importjob: job %d: %w", id, err)
	}
	return true, nil
}

// claim takes the oldest job that needs a worker and whose lease (if any)
// has run out. A queued job becomes applying.
func (s *Service) claim(ctx context.Context, owner string) (int64, State, error) {
	now := s.now()
	lock := ""
	if s.DB.Dialect == store.Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	var id int64
	var state State
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		id, state = 0, ""
		err := tx.QueryRowContext(ctx, `SELECT id, state FROM import_jobs
			WHERE state IN ($1, $2, $3, $4) AND (lease_until IS NULL OR lease_until <= $5)
			ORDER BY id LIMIT 1 `+lock, Checking, Queued, Applying, Undoing, now).Scan(&id, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if state == Queued {
			state = Applying
		}
		_, err = tx.ExecContext(ctx, `UPDATE import_jobs SET state = $1, lease_owner = $2, lease_until = $3, updated_at = $4
			WHERE id = $5`, state, owner, now.Add(s.lease()), now, id)
		return err
	})
	if err != nil {
		return 0, "", fmt.Errorf("importjob: claim: %w", err)
	}
	return id, state, nil
}

// renew extends the lease every third of it until ctx ends, and cancels
// the work (errLeaseLost) if the job is no longer this worker's.
func (s *Service) renew(ctx context.Context, stop context.CancelCauseFunc, id int64, owner string) {
	t := time.NewTicker(s.lease() / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := s.extend(ctx, s.DB.Write, id, owner)
		if err == nil && !ok {
			stop(errLeaseLost)
			return
		}
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// extend renews the lease if the job is still owner's.
func (s *Service) extend(ctx context.Context, q execer, id int64, owner string) (bool, error) {
	now := s.now()
	res, err := q.ExecContext(ctx, `UPDATE import_jobs SET lease_until = $1, updated_at = $2
		WHERE id = $3 AND lease_owner = $4 AND lease_until IS NOT NULL`, now.Add(s.lease()), now, id, owner)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// release gives the job up for any worker to take now.
func (s *Service) release(id int64, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.DB.Write.ExecContext(ctx, `UPDATE import_jobs SET lease_until = NULL, lease_owner = ''
		WHERE id = $1 AND lease_owner = $2`, id, owner)
	if err != nil {
		s.log().Warn("import: could not release the job; it passes on when its lease ends", "job", id, "err", err)
	}
}

// transient reports an error worth trying again later rather than
// rolling the import back for.
func transient(err error) bool {
	return fault.CodeOf(err) == fault.Unavailable || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 30 * time.Second
}

func (s *Service) owner() string {
	s.ownerOnce.Do(func() {
		if s.Owner == "" {
			b := make([]byte, 6)
			rand.Read(b)
			s.Owner = hex.EncodeToString(b)
		}
	})
	return s.Owner
}
