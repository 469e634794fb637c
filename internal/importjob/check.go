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
	err := s.DB.Write.QueryRowContext(ctx, `SELECT file, options FROM import_jobs WHERE id = $1 AND lease_owner = $2`, id, owner).
		Scan(&file, &opts)
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
	p, err := csvio.Prepare(ctx, s.DB, bytes.NewReader(file), opts.csv(!opts.Confirmed))
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
	file := any(nil)
	if to == Refused {
		finished, file = now, []byte{}
	}
	// A job going on to be applied stays this worker's; one waiting for
	// the merchant, or refused, is nobody's.
	lease := `lease_owner = '', lease_until = NULL`
	if to == Applying {
		lease = `lease_owner = lease_owner`
	}
	res, err := s.DB.Write.ExecContext(ctx, `UPDATE import_jobs SET state = $1, report = $2, slot = $3,
		file = COALESCE($4, file), finished_at = $5, updated_at = $6, `+lease+`
		WHERE id = $7 AND state = $8 AND lease_owner = $9`, to, string(report), slotValue(to), file, finished, now, id, from, owner)
	if err != nil {
		return fmt.Errorf("importjob: record the check: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost // cancelled, or taken over
	}
	return nil
}
