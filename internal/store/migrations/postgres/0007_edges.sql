-- The edges that follow the purge log (issue 13): each reports, with a
-- heartbeat, the last seq it applied, so any app instance can say which
-- live edges have applied a purge. name is the edge's stable name
-- (--edge-name); heartbeat_ms is its interval, by which it counts as gone.
CREATE TABLE purge_edges (
	name TEXT PRIMARY KEY,
	applied_seq BIGINT NOT NULL,
	started_at TIMESTAMPTZ NOT NULL,
	last_seen TIMESTAMPTZ NOT NULL,
	heartbeat_ms BIGINT NOT NULL
);
