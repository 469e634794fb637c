-- CSV imports from the admin (issue 16), run in the background by any app
-- instance. A job is checked (a dry run whose diff the merchant reads),
-- confirmed, then applied in steps of a few hundred products, each step
-- marked applied in its own write's transaction; a worker holds a job by a
-- lease it renews, so when its instance is drained or dies another one
-- takes the job over at the first unapplied step. Each step keeps what
-- undoes it, so a finished import can be rolled back as a whole.
CREATE TABLE import_jobs (
	id INTEGER PRIMARY KEY,
	-- checking, checked, refused, queued, applying, done, failed,
	-- undoing, undone, cancelled
	state TEXT NOT NULL,
	-- 1 while the job holds the store's one import slot (checking, queued,
	-- applying, undoing), NULL otherwise: one import at a time.
	slot INTEGER UNIQUE,
	file_name TEXT NOT NULL,
	options TEXT NOT NULL,
	created_by TEXT NOT NULL,
	steps INTEGER NOT NULL DEFAULT 0,
	steps_done INTEGER NOT NULL DEFAULT 0,
	rows_total INTEGER NOT NULL DEFAULT 0,
	rows_done INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP
);
CREATE INDEX import_jobs_state ON import_jobs(state);

-- Large values live beside the job, not in its row: the row is rewritten
-- at every step (its progress), and SQLite rewrites a row whole.
-- the uploaded file, kept until the job is applied or given up
CREATE TABLE import_files (
	job_id INTEGER PRIMARY KEY REFERENCES import_jobs(id) ON DELETE CASCADE,
	file BLOB NOT NULL
);
-- the check's report (JSON): counts, the first changes, row errors
CREATE TABLE import_reports (
	job_id INTEGER PRIMARY KEY REFERENCES import_jobs(id) ON DELETE CASCADE,
	report TEXT NOT NULL
);

-- the planned writes of a confirmed job, in order, and what undoes each
CREATE TABLE import_steps (
	job_id INTEGER NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
	n INTEGER NOT NULL,
	rows_count INTEGER NOT NULL,
	-- before the large columns, so SQLite reads them without the others
	applied_at TIMESTAMP,
	undone_at TIMESTAMP,
	work TEXT NOT NULL,
	undo TEXT NOT NULL,
	PRIMARY KEY (job_id, n)
);
