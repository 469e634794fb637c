-- Product-level attributes (issue 15). Mirrors migrations/sqlite/0013,
-- which says what the column holds. A constant default adds the column
-- without rewriting the table (PostgreSQL 11 and later).
ALTER TABLE products ADD COLUMN attributes TEXT NOT NULL DEFAULT '[]';
