package importjob

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"agora/internal/csvio"
	"agora/internal/fault"
	"agora/internal/store"
)

// stepsPerTx is how many planned steps one transaction records: a plan of
// 100,000 rows is 500 steps, written in ten short transactions.
const stepsPerTx = 50

// analyzeAfter is the products created past which the database is readied
// for reads (catalog.AfterBulkLoad: statistics, and a vacuum on
// PostgreSQL), as seeding does.
const analyzeAfter = 1000

// apply writes a confirmed job's steps, planning them first if no worker
// has yet. A step that fails for the data (not for the database going
// away) rolls back what was applied and fails the job.
func (s *Service) apply(ctx context.Context, id int64, owner string) error {
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Steps == 0 {
		planned, err := s.plan(ctx, j, owner)
		if err != nil || !planned {
			return err
		}
		if j, err = s.Get(ctx, id); err != nil {
			return err
		}
	}
	created := 0
	for {
		st, ok, err := s.nextStep(ctx, id, `applied_at IS NULL ORDER BY n`, "work")
		if err != nil || !ok {
			if err == nil {
				break
			}
			return err
		}
		var step csvio.Step
		if err := json.Unmarshal(st.body, &step); err != nil {
			return fmt.Errorf("importjob: step %d: %w", st.n, err)
		}
		mark := s.marker(id, owner, st, "applied_at IS NULL", "applied_at", +1)
		err = step.Apply(store.WithCommitHook(ctx, mark), s.Catalog)
		switch {
		case err == nil:
			created += len(step.Create)
			if s.afterStep != nil {
				s.afterStep(st.n)
			}
		case errors.Is(err, errLeaseLost) || transient(err):
			return err
		default:
			s.log().Warn("import: a step failed; rolling the import back", "job", id, "step", st.n, "err", err)
			msg := fmt.Sprintf("Step %d of %d failed: %s Everything the import had written is rolled back.", st.n+1, j.Steps, fault.MessageOf(err))
			if err := s.toState(ctx, id, owner, Applying, Undoing, msg); err != nil {
				return err
			}
			return s.undo(ctx, id, owner)
		}
	}
	if created >= analyzeAfter {
		if err := s.Catalog.AfterBulkLoad(ctx); err != nil {
			s.log().Warn("import: readying the database after the import failed", "job", id, "err", err)
		}
	}
	return s.end(ctx, id, owner, Applying, Done, "")
}

// plan prepares the file again, now to write it, and records its steps.
// When the catalog changed since the check so that the file would do
// something else than the diff the merchant confirmed, the job goes back
// to checked with the new diff (or refused) and planned is false.
func (s *Service) plan(ctx context.Context, j Job, owner string) (planned bool, err error) {
	file, opts, err := s.file(ctx, j.ID, owner)
	if err != nil {
		return false, err
	}
	p, err := csvio.Prepare(ctx, s.DB, bytes.NewReader(file), opts.csv())
	if err != nil || j.Summary == nil || digest(p.Report.Changes) != j.Summary.Digest {
		if err == nil {
			s.log().Info("import: the catalog changed since the check; the new diff awaits confirmation", "job", j.ID)
		}
		return false, s.checked(ctx, j.ID, owner, Applying, Checked, p, err, "The catalog changed since the check: this is what the file changes now. Confirm again to apply it.")
	}
	return s.record(ctx, j.ID, owner, p)
}

// record writes a prepared file's steps as the job's plan. planned is
// false when there is nothing to write: the job is then done.
func (s *Service) record(ctx context.Context, id int64, owner string, p *csvio.Prepared) (planned bool, err error) {
	steps, undos := p.Steps()
	if len(steps) == 0 {
		return false, s.end(ctx, id, owner, Applying, Done, "")
	}
	rows := 0
	for _, st := range steps {
		rows += st.Rows
	}
	for start := 0; start < len(steps); start += stepsPerTx {
		end := min(start+stepsPerTx, len(steps))
		err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
			if start == 0 { // a plan an earlier worker left half-recorded
				if _, err := tx.ExecContext(ctx, `DELETE FROM import_steps WHERE job_id = $1`, id); err != nil {
					return err
				}
			}
			for n := start; n < end; n++ {
				work, err := json.Marshal(steps[n])
				if err != nil {
					return err
				}
				undo, err := json.Marshal(undos[n])
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO import_steps (job_id, n, rows_count, work, undo) VALUES ($1, $2, $3, $4, $5)`,
					id, n, steps[n].Rows, string(work), string(undo)); err != nil {
					return err
				}
			}
			if end < len(steps) {
				return s.held(ctx, tx, id, owner)
			}
			// The plan is whole: the job counts its steps from now on.
			res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET steps = $1, rows_total = $2, steps_done = 0, rows_done = 0, updated_at = $3
				WHERE id = $4 AND lease_owner = $5 AND lease_until IS NOT NULL`, len(steps), rows, s.now(), id, owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errLeaseLost
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("importjob: record the plan: %w", err)
		}
	}
	return true, nil
}

// held fails with errLeaseLost unless owner still holds job id.
func (s *Service) held(ctx context.Context, tx *sql.Tx, id int64, owner string) error {
	ok, err := s.extend(ctx, tx, id, owner)
	if err != nil {
		return err
	}
	if !ok {
		return errLeaseLost
	}
	return nil
}

// undo rolls the job's applied steps back, last first. It ends the job
// undone (the merchant asked) or failed (a step had failed, the error
// recorded); a rollback step that fails for the data stops the rollback
// and fails the job, saying what is still applied.
func (s *Service) undo(ctx context.Context, id int64, owner string) error {
	for {
		st, ok, err := s.nextStep(ctx, id, `applied_at IS NOT NULL AND undone_at IS NULL ORDER BY n DESC`, "undo")
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var u csvio.Undo
		if err := json.Unmarshal(st.body, &u); err != nil {
			return fmt.Errorf("importjob: undo of step %d: %w", st.n, err)
		}
		mark := s.marker(id, owner, st, "applied_at IS NOT NULL AND undone_at IS NULL", "undone_at", -1)
		err = u.Apply(store.WithCommitHook(ctx, mark), s.DB, s.Catalog)
		switch {
		case err == nil:
		case errors.Is(err, errLeaseLost) || transient(err):
			return err
		default:
			j, gerr := s.Get(ctx, id)
			if gerr != nil {
				return gerr
			}
			msg := fmt.Sprintf("%s The rollback stopped at step %d: %s Steps 1 to %d are still applied.",
				j.Error, st.n+1, fault.MessageOf(err), st.n+1)
			return s.end(ctx, id, owner, Undoing, Failed, msg)
		}
	}
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Error != "" {
		return s.end(ctx, id, owner, Undoing, Failed, j.Error)
	}
	return s.end(ctx, id, owner, Undoing, Undone, "")
}

type stepRow struct {
	n, rows int
	body    []byte
}

// nextStep reads the first step of job id matching where (with its order).
func (s *Service) nextStep(ctx context.Context, id int64, where, column string) (stepRow, bool, error) {
	var st stepRow
	var body string
	err := s.DB.Write.QueryRowContext(ctx, `SELECT n, rows_count, `+column+` FROM import_steps WHERE job_id = $1 AND `+where+` LIMIT 1`, id).
		Scan(&st.n, &st.rows, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("importjob: next step: %w", err)
	}
	st.body = []byte(body)
	return st, true, nil
}

// marker is the commit hook that records a step applied (or undone, sign
// -1) in the transaction that writes it, and renews the lease; if another
// worker holds the job now, or the step is already marked, the step's own
// writes roll back with it.
func (s *Service) marker(id int64, owner string, st stepRow, still, column string, sign int) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE import_steps SET `+column+` = $1 WHERE job_id = $2 AND n = $3 AND `+still, now, id, st.n)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLeaseLost // another worker did it
		}
		res, err = tx.ExecContext(ctx, `UPDATE import_jobs SET steps_done = steps_done + $1, rows_done = rows_done + $2,
			updated_at = $3, lease_until = $4 WHERE id = $5 AND lease_owner = $6 AND lease_until IS NOT NULL`,
			sign, sign*st.rows, now, now.Add(s.lease()), id, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLeaseLost
		}
		return nil
	}
}

// toState moves a job this worker holds to another busy state.
func (s *Service) toState(ctx context.Context, id int64, owner string, from, to State, errText string) error {
	res, err := s.DB.Write.ExecContext(ctx, `UPDATE import_jobs SET state = $1, error = $2, updated_at = $3
		WHERE id = $4 AND state = $5 AND lease_owner = $6`, to, errText, s.now(), id, from, owner)
	if err != nil {
		return fmt.Errorf("importjob: %s: %w", to, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	return nil
}

// end finishes a job, freeing the slot and the file: one this worker
// holds, or with owner "", one in state from whoever holds it (a cancel:
// the worker finds the job gone at its next write).
func (s *Service) end(ctx context.Context, id int64, owner string, from, to State, errText string) error {
	now := s.now()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = $1, slot = NULL, error = $2,
			updated_at = $3, finished_at = $3, lease_owner = '', lease_until = NULL
			WHERE id = $4 AND state = $5 AND ($6 = '' OR lease_owner = $6)`, to, errText, now, id, from, owner)
		if err != nil {
			return fmt.Errorf("importjob: end: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if owner == "" {
				return fault.New(fault.Conflict, "The import changed meanwhile: reload the page.")
			}
			return errLeaseLost
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_files WHERE job_id = $1`, id); err != nil {
			return fmt.Errorf("importjob: drop the file: %w", err)
		}
		return nil
	})
}
