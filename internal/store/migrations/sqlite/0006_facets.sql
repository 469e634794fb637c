-- Faceted navigation (issue 15): variant options become product attributes,
-- one row per product per option value, so a filter is an index lookup and
-- a facet count a GROUP BY. Kept current by the catalog's writers with the
-- category listing. Names are folded ("Shoe Size" → "shoe-size") as
-- catalog.OptionKey does for ASCII names.
CREATE TABLE product_options (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (product_id, name, value)
) WITHOUT ROWID;
CREATE INDEX product_options_value ON product_options(name, value, product_id);
INSERT OR IGNORE INTO product_options (product_id, name, value)
	SELECT v.product_id, lower(replace(trim(json_extract(o.value, '$.name')), ' ', '-')), trim(json_extract(o.value, '$.value'))
	FROM variants v, json_each(v.options) o
	WHERE trim(json_extract(o.value, '$.name')) <> '' AND trim(json_extract(o.value, '$.value')) <> '';
