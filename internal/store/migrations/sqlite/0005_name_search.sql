-- Search tiers (issue 15): nothing to do on SQLite, where FTS5's column
-- filter ({name brand} : …) already uses the full-text index. Kept so both
-- dialects share migration numbers.
SELECT 1;
