-- The edges that follow the purge log (issue 13): each reports, with a
-- heartbeat, the last seq it applied, so any app instance can say which
-- live edges have applied a purge. name is the edge's stable name
-- (--edge-name); heartbeat_ms is its interval, by which it counts as gone.
CREATE TABLE purge_edges (
	name TEXT PRIMARY KEY,
	applied_seq INTEGER NOT NULL,
	started_at TIMESTAMP NOT NULL,
	last_seen TIMESTAMP NOT NULL,
	heartbeat_ms INTEGER NOT NULL
);
