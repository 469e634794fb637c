-- Admin: staff accounts with roles, their sessions, API keys, and the
-- registry of uploaded media. Mirrors migrations/postgres/0003.

CREATE TABLE staff (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE, -- lower-cased by the writer
	name TEXT NOT NULL,
	-- owner: everything; manager: catalog, orders, customers, discounts;
	-- staff: read-only orders (internal/staff says exactly).
	role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
	password_hash TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	disabled_at TIMESTAMP
);

-- Staff sessions are apart from shoppers' sessions: another cookie, a
-- shorter life, and no way to turn one into the other.
CREATE TABLE staff_sessions (
	id_hash TEXT PRIMARY KEY,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_sessions_expires ON staff_sessions(expires_at);

-- API keys for Authorization: Bearer on /api/v1/admin/…, shown once and
-- stored as SHA-256; a revoked key stops working on its next request.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	prefix TEXT NOT NULL, -- the first characters, to tell keys apart in lists
	key_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP
);
CREATE INDEX api_keys_staff ON api_keys(staff_id);

-- Uploaded images: the content-addressed key of the original and its
-- variants (JSON object name → key), made once at upload.
CREATE TABLE media (
	key TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	width INTEGER NOT NULL,
	height INTEGER NOT NULL,
	bytes INTEGER NOT NULL,
	variants TEXT NOT NULL DEFAULT '{}',
	created_at TIMESTAMP NOT NULL
);
