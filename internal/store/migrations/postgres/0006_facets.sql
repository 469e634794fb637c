-- Faceted navigation (issue 15): variant options become product attributes.
-- Mirrors migrations/sqlite/0004.
CREATE TABLE product_options (
	product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	name TEXT NOT NULL COLLATE "C",
	value TEXT NOT NULL COLLATE "C",
	PRIMARY KEY (product_id, name, value)
);
CREATE INDEX product_options_value ON product_options(name, value, product_id);
INSERT INTO product_options (product_id, name, value)
	SELECT DISTINCT v.product_id, lower(replace(trim(o->>'name'), ' ', '-')), trim(o->>'value')
	FROM variants v, jsonb_array_elements(v.options::jsonb) o
	WHERE trim(o->>'name') <> '' AND trim(o->>'value') <> ''
	ON CONFLICT DO NOTHING;
