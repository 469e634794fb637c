-- Rate limits shared between edges (internal/clientusage, issue 12): each
-- edge's count of requests let through per client and class, N since its
-- bucket was made, D since its previous report. Rows live a minute past
-- their last report; edges are named at random per process.
CREATE TABLE rate_usage (
	edge TEXT NOT NULL,
	key TEXT NOT NULL, -- "<class> <address>"
	n BIGINT NOT NULL,
	d BIGINT NOT NULL,
	updated_at BIGINT NOT NULL, -- Unix milliseconds, the app's clock
	created_at BIGINT NOT NULL, -- when n last started from nothing
	PRIMARY KEY (key, edge)
);
CREATE INDEX rate_usage_updated ON rate_usage (updated_at);
