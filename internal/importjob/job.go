// Package importjob runs the admin's CSV imports (issue 16) in the
// background of the app tier. A merchant uploads a file; a worker checks it
// (csvio.Prepare, a dry run) and stores the diff; the merchant reads it and
// confirms; a worker applies it in steps of a few hundred products
// (csvio.Step), each step one short transaction that also marks the step
// done, so checkouts go on meanwhile and a crash never applies a step twice.
// Jobs live in the database and workers hold them by a lease they renew:
// when an instance is drained or dies, another takes the job over at its
// first unapplied step. A step that fails rolls back what the job applied,
// and a finished import can be rolled back as a whole. One import at a time
// per store.
package importjob

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/fault"
	"agora/internal/store"
)

// State is where a job stands.
type State string

const (
	Checking  State = "checking"  // uploaded; a worker runs its dry run
	Checked   State = "checked"   // the diff awaits the merchant's confirmation
	Refused   State = "refused"   // the file has problems: nothing can be applied
	Queued    State = "queued"    // confirmed; a worker will apply it
	Applying  State = "applying"  // being written, step by step
	Done      State = "done"      // applied
	Undoing   State = "undoing"   // being rolled back, last step first
	Undone    State = "undone"    // rolled back at the merchant's request
	Failed    State = "failed"    // a step failed; what was applied is rolled back
	Cancelled State = "cancelled" // dropped before it was applied
)

// Busy is whether a worker has work in the state (the job holds the
// store's import slot meanwhile).
func (s State) Busy() bool { return s == Checking || s == Queued || s == Applying || s == Undoing }

// Limits of what is kept for the page: the CLI's --dry-run prints a whole
// diff; a page of 100,000 lines helps nobody.
const (
	MaxShownChanges = 1000
	MaxShownErrors  = 500
	// MaxFileBytes bounds an upload: 100,000 products of a dozen columns
	// are about 30 MiB; larger catalogs import with `agora import`.
	MaxFileBytes = 64 << 20
)

// Options are the import's choices (csvio.Options without the callbacks).
type Options struct {
	UpdateOnly     bool `json:"update_only,omitempty"`
	ArchiveMissing bool `json:"archive_missing,omitempty"`
	SkipInvalid    bool `json:"skip_invalid,omitempty"`
	// Confirmed applies the file once it is checked, without waiting for
	// a confirmation: `agora import`, whose --dry-run is the look first.
	Confirmed bool `json:"confirmed,omitempty"`
}

// csv is what csvio.Prepare reads of the options.
func (o Options) csv() csvio.Options {
	return csvio.Options{UpdateOnly: o.UpdateOnly, ArchiveMissing: o.ArchiveMissing, SkipInvalid: o.SkipInvalid}
}

// Summary is the dry run's report as the page shows it.
type Summary struct {
	Rows      int `json:"rows"`
	Products  int `json:"products"` // to create
	Variants  int `json:"variants"` // of those
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Archived  int `json:"archived"`
	Skipped   int `json:"skipped"`
	// Changes are the first MaxShownChanges of Total.
	Changes []csvio.Change `json:"changes,omitempty"`
	Total   int            `json:"total_changes"`
	// Errors are the first MaxShownErrors of AllErrors.
	Errors    []csvio.RowError `json:"errors,omitempty"`
	AllErrors int              `json:"all_errors"`
	// Message is a refusal's sentence (a file with problems, one that
	// names no product with archive-missing).
	Message string `json:"message,omitempty"`
	// Digest identifies what the import will set: a confirmed job whose
	// file plans differently when applied (the catalog changed) is shown
	// again rather than applied unseen.
	Digest string `json:"digest"`
}

func summarize(rep csvio.Report) Summary {
	s := Summary{Rows: rep.Rows, Products: rep.Products, Variants: rep.Variants, Updated: rep.Updated,
		Unchanged: rep.Unchanged, Archived: rep.Archived, Skipped: rep.Skipped,
		Total: len(rep.Changes), AllErrors: len(rep.Errors), Digest: digest(rep.Changes)}
	s.Changes = rep.Changes[:min(len(rep.Changes), MaxShownChanges)]
	s.Errors = rep.Errors[:min(len(rep.Errors), MaxShownErrors)]
	return s
}

// digest hashes what each change sets, but not the stock it finds: stock
// moves with every sale, and the import sets it as of its start anyway.
func digest(changes []csvio.Change) string {
	h := sha256.New()
	for _, c := range changes {
		old := c.Old
		if c.Field == "stock" {
			old = ""
		}
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%s\x00%s\n", c.Kind, c.Handle, c.SKU, c.Field, old, c.New)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Job is one import.
type Job struct {
	ID        int64
	State     State
	FileName  string
	Options   Options
	CreatedBy string
	Summary   *Summary // nil until checked
	// Steps planned, StepsDone applied (counting down while undoing);
	// the same for the file's rows.
	Steps, StepsDone int
	Rows, RowsDone   int
	Error            string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	FinishedAt       *time.Time
	// LeaseUntil is when the worker holding the job loses it, unless it
	// renews it (nil: nobody holds it).
	LeaseUntil *time.Time
}

// Percent is how far the job has come, 0–100.
func (j Job) Percent() int {
	if j.State == Done {
		return 100
	}
	if j.Rows == 0 {
		return 0
	}
	return j.RowsDone * 100 / j.Rows
}

// Service keeps the jobs. Set its fields before use.
type Service struct {
	DB      *store.DB
	Catalog *catalog.Catalog
	Log     *slog.Logger     // if nil, slog.Default()
	Now     func() time.Time // if nil, time.Now
	// Lease is how long a worker holds a job without renewing it. If 0,
	// 30s: another instance takes over a dead one's job that much later.
	Lease time.Duration
	// Poll is the pause of Run between looks for work. If 0, 1s.
	Poll time.Duration
	// Owner names this worker in leases. If "", a random one.
	Owner string
	// MaxFileBytes bounds Submit's file. If 0, MaxFileBytes (the admin's
	// upload); `agora import` reads files from disk and allows more.
	MaxFileBytes int

	ownerOnce sync.Once
	afterStep func(n int) // tests: called after each step applied
}

// selectJobs reads jobs with their reports.
const selectJobs = `SELECT j.id, j.state, j.file_name, j.options, j.created_by, COALESCE(r.report, ''), j.steps,
	j.steps_done, j.rows_total, j.rows_done, j.error, j.created_at, j.updated_at, j.finished_at, j.lease_until
	FROM import_jobs j LEFT JOIN import_reports r ON r.job_id = j.id`

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var opts, report string
	var finished, lease sql.NullTime
	err := sc.Scan(&j.ID, &j.State, &j.FileName, &opts, &j.CreatedBy, &report, &j.Steps, &j.StepsDone,
		&j.Rows, &j.RowsDone, &j.Error, &j.CreatedAt, &j.UpdatedAt, &finished, &lease)
	if err != nil {
		return j, err
	}
	if err := json.Unmarshal([]byte(opts), &j.Options); err != nil {
		return j, fmt.Errorf("importjob: options of job %d: %w", j.ID, err)
	}
	if report != "" {
		j.Summary = &Summary{}
		if err := json.Unmarshal([]byte(report), j.Summary); err != nil {
			return j, fmt.Errorf("importjob: report of job %d: %w", j.ID, err)
		}
	}
	if finished.Valid {
		j.FinishedAt = &finished.Time
	}
	if lease.Valid {
		j.LeaseUntil = &lease.Time
	}
	return j, nil
}

// Submit stores an uploaded file as a new job for a worker to check. It is
// refused while another import is being checked, applied or rolled back.
func (s *Service) Submit(ctx context.Context, fileName string, file []byte, opts Options, by string) (Job, error) {
	if len(file) == 0 {
		return Job{}, fault.Field("file", "The file is empty: choose a CSV file exported from the admin or a spreadsheet.")
	}
	if limit := cmp.Or(s.MaxFileBytes, MaxFileBytes); len(file) > limit {
		return Job{}, fault.Field("file", "The file is larger than %d MiB: import it with `agora import FILE` on the server.", limit>>20)
	}
	o, _ := json.Marshal(opts)
	now := s.now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.slotFree(ctx, tx, 0); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO import_jobs (state, slot, file_name, options, created_by, created_at, updated_at)
			VALUES ($1, 1, $2, $3, $4, $5, $5) RETURNING id`, Checking, fileName, string(o), by, now).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO import_files (job_id, file) VALUES ($1, $2)`, id, file)
		return err
	})
	if store.IsUniqueViolation(err) { // a concurrent submit won the slot
		return Job{}, s.busyError(ctx, 0)
	}
	if err != nil {
		return Job{}, err
	}
	return s.Get(ctx, id)
}

// slotHolder reads the import holding the store's import slot, other
// than the job given.
const slotHolder = `SELECT id, file_name, created_by, state FROM import_jobs WHERE slot = 1 AND id <> $1`

// slotFree fails with a Conflict naming the import that holds the store's
// import slot, if one other than except does.
func (s *Service) slotFree(ctx context.Context, tx *sql.Tx, except int64) error {
	return busy(tx.QueryRowContext(ctx, slotHolder, except))
}

// busyError is slotFree's refusal after a concurrent writer took the slot
// first (a unique violation), outside the failed transaction.
func (s *Service) busyError(ctx context.Context, except int64) error {
	if err := busy(s.DB.Write.QueryRowContext(ctx, slotHolder, except)); err != nil {
		return err
	}
	return fault.New(fault.Conflict, "Another import is running: one import at a time. Try again when it has finished.")
}

// busy is the refusal naming the import row describes, nil without one.
func busy(row *sql.Row) error {
	var id int64
	var name, by string
	var state State
	err := row.Scan(&id, &name, &by, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("importjob: the import slot: %w", err)
	}
	return fault.New(fault.Conflict, "Another import is running (%s, %q, started by %s): one import at a time. Follow it at /admin/imports/%d and try again when it has finished.",
		state, name, by, id)
}

// Get returns job id.
func (s *Service) Get(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.DB.Write.QueryRowContext(ctx, selectJobs+` WHERE j.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fault.New(fault.NotFound, "There is no import %d.", id)
	}
	return j, err
}

// List returns the latest n jobs, newest first.
func (s *Service) List(ctx context.Context, n int) ([]Job, error) {
	rows, err := s.DB.Write.QueryContext(ctx, selectJobs+` ORDER BY j.id DESC LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("importjob: list: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Confirm queues a checked job to be applied.
func (s *Service) Confirm(ctx context.Context, id int64) error {
	return s.move(ctx, id, Checked, Queued, true,
		"Only a checked import can be confirmed; this one is %s.")
}

// Cancel drops a job not yet applied.
func (s *Service) Cancel(ctx context.Context, id int64) error {
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.State != Checked && j.State != Refused && j.State != Checking && j.State != Queued {
		return fault.New(fault.Conflict, "Only an import not applied yet can be cancelled; this one is %s. A finished import can be rolled back instead.", j.State)
	}
	return s.end(ctx, id, "", j.State, Cancelled, "")
}

// Undo rolls a finished import back as a whole.
func (s *Service) Undo(ctx context.Context, id int64) error {
	return s.move(ctx, id, Done, Undoing, true,
		"Only a finished import can be rolled back; this one is %s.")
}

// move changes a job's state from one to another, taking the import slot
// when asked; a job in another state gets the message.
func (s *Service) move(ctx context.Context, id int64, from, to State, slot bool, wrong string) error {
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if slot {
			if err := s.slotFree(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET state = $1, slot = $2, updated_at = $3, lease_until = NULL
			WHERE id = $4 AND state = $5`, to, slotValue(to), s.now(), id, from)
		if err != nil {
			return fmt.Errorf("importjob: %s job %d: %w", to, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var now State
			err := tx.QueryRowContext(ctx, `SELECT state FROM import_jobs WHERE id = $1`, id).Scan(&now)
			if errors.Is(err, sql.ErrNoRows) {
				return fault.New(fault.NotFound, "There is no import %d.", id)
			}
			if err != nil {
				return err
			}
			return fault.New(fault.Conflict, wrong, now)
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return s.busyError(ctx, id)
	}
	return err
}

func slotValue(st State) any {
	if st.Busy() {
		return 1
	}
	return nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
