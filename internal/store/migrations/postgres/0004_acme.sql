-- ACME certificates shared by edges (internal/certstore): certmagic's
-- key/value blobs (account keys, certificates, challenge tokens) and its
-- locks, so N edges order a certificate once. Times are Unix milliseconds:
-- lock expiry is compared in SQL, and integers compare the same on both
-- databases. Mirrors migrations/sqlite/0004.

CREATE TABLE acme_blobs (
	key TEXT PRIMARY KEY, -- a slash-separated path such as certificates/…/shop.example.crt
	value BYTEA NOT NULL,
	modified_ms BIGINT NOT NULL
);

-- One row per held lock; a row whose expires_ms is past is free to take:
-- the edge that held it died without unlocking.
CREATE TABLE acme_locks (
	name TEXT PRIMARY KEY,
	owner TEXT NOT NULL, -- a random token per Lock call, so only its holder unlocks or renews
	expires_ms BIGINT NOT NULL
);
