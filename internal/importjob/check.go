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
)

// file reads a job's file and options, while owner holds it.
func (s *Service) file(ctx context.Context, id int64, owner string) ([]byte, Options, error) {
	var file []byte
	var opts string
	var o Options
	err := s.DB.Write.QueryRowContext(ctx, `SELECT f.file, j.options FROM import_jobs j JOIN import_files f ON f.job_id = j.id
		WHERE j.id = $1 AND j.lease_owner = $2`, id, owner).Scan(&file, &opts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, o, errLeaseLost
	}
	if err != nil {
		return nil, o, fmt.Errorf("importjob: read the file: %w", err)
	}
	return file, o, json.Unmarshal([]byte(opts), &o)
}

// check dry-runs the file and leaves the job checked (the diff stored for
// the page) or refused (its problems stored).
func (s *Service) check(ctx context.Context, id int64, owner string) error {
	file, opts, err := s.file(ctx, id, owner)
	if err != nil {
		return err
	}
	p, err := csvio.Prepare(ctx, s.DB, bytes.NewReader(file), opts.csv())
	if !opts.Confirmed || err != nil {
		return s.checked(ctx, id, owner, Checking, Checked, p, err, "")
	}
	// Confirmed beforehand (`agora import`): written now, from this very
	// plan, rather than prepared a second time.
	if err := s.checked(ctx, id, owner, Checking, Applying, p, nil, ""); err != nil {
		return err
	}
	planned, err := s.record(ctx, id, owner, p)
	if err != nil || !planned {
		return err
	}
	return s.apply(ctx, id, owner)
}

// checked records a plan's outcome: its diff (and note, if any) in state
// to (checked, or applying when confirmed beforehand), or refused with its
// problems. An error that is not the file's is returned as is.
func (s *Service) checked(ctx context.Context, id int64, owner string, from, to State, p *csvio.Prepared, err error, note string) error {
	if err != nil && (transient(err) || fault.CodeOf(err) == fault.Internal) {
		return err
	}
	sum := summarize(p.Report)
	sum.Message = note
	if err != nil {
		to, sum.Message = Refused, fault.MessageOf(err)
	}
	report, jerr := json.Marshal(sum)
	if jerr != nil {
		return jerr
	}
	now := s.now()
	var finished any
	if to == Refused {
		finished = now
	}
	// A job going on to be applied stays this worker's; one waiting for
	// the merchant, or refused, is nobody's.
	lease := `lease_owner = '', lease_until = NULL`
	if to == Applying {
		lease = `lease_owner = lease_owner`
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = $1, slot = $2, finished_at = $3, updated_at = $4, `+lease+`
			WHERE id = $5 AND state = $6 AND lease_owner = $7`, to, slotValue(to), finished, now, id, from, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errLeaseLost // cancelled, or taken over
		}
		if to == Refused {
			if _, err := tx.ExecContext(ctx, `DELETE FROM import_files WHERE job_id = $1`, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO import_reports (job_id, report) VALUES ($1, $2)
			ON CONFLICT (job_id) DO UPDATE SET report = excluded.report`, id, string(report))
		return err
	})
	if err != nil && !errors.Is(err, errLeaseLost) {
		return fmt.Errorf("importjob: record the check: %w", err)
	}
	return err
}
