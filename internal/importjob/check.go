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
	p, err := csvio.Prepare(ctx, s.DB, bytes.NewReader(file), opts.csv(true))
	return s.checked(ctx, id, owner, Checking, p, err, "")
}

// checked records a plan's outcome: checked with its diff (and note, if
// any), or refused with its problems. An error that is not the file's is
// returned as is.
func (s *Service) checked(ctx context.Context, id int64, owner string, from State, p *csvio.Prepared, err error, note string) error {
	if err != nil && (transient(err) || fault.CodeOf(err) == fault.Internal) {
		return err
	}
	sum := summarize(p.Report)
	to := Checked
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
	res, err := s.DB.Write.ExecContext(ctx, `UPDATE import_jobs SET state = $1, report = $2, slot = NULL,
		file = COALESCE($3, file), finished_at = $4, updated_at = $5, lease_owner = '', lease_until = NULL
		WHERE id = $6 AND state = $7 AND lease_owner = $8`, to, string(report), file, finished, now, id, from, owner)
	if err != nil {
		return fmt.Errorf("importjob: record the check: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost // cancelled, or taken over
	}
	return nil
}
