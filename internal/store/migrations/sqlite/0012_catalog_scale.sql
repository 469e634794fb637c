-- Facet counts per category (issue 15): how many products of a category's
-- listing have each brand, availability and option value, so that an
-- unfiltered category page reads a few dozen rows instead of grouping
-- 30,000 products on every render. The invariant, kept by the triggers
-- below whatever writes (the catalog's single and bulk writers, checkout's
-- stock changes, category moves, a hand-written UPDATE):
--
--   n(category, facet, value) = the rows of category_listing for category
--   whose product has that value, facet being "brand", "availability" or
--   "opt_" + option key (the URL parameters of catalog.Filters).
--
-- Each trigger adjusts the counts for exactly one kind of change: a listing
-- row added or removed, a product's brand or availability class changed,
-- an option row added or removed. Rows that fall to 0 stay (readers skip
-- them): a delete would make the next increment an insert again.
CREATE TABLE category_facets (
	category_id INTEGER NOT NULL,
	facet TEXT NOT NULL,
	value TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (category_id, facet, value)
) WITHOUT ROWID;

CREATE TRIGGER category_listing_facets_insert AFTER INSERT ON category_listing BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT new.category_id, 'brand', p.brand, 1 FROM products p WHERE p.id = new.product_id
		UNION ALL
		SELECT new.category_id, 'availability', CASE WHEN p.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, 1
		FROM products p WHERE p.id = new.product_id
		UNION ALL
		SELECT new.category_id, 'opt_' || o.name, o.value, 1 FROM product_options o WHERE o.product_id = new.product_id
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER category_listing_facets_delete AFTER DELETE ON category_listing BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT old.category_id, 'brand', p.brand, -1 FROM products p WHERE p.id = old.product_id
		UNION ALL
		SELECT old.category_id, 'availability', CASE WHEN p.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, -1
		FROM products p WHERE p.id = old.product_id
		UNION ALL
		SELECT old.category_id, 'opt_' || o.name, o.value, -1 FROM product_options o WHERE o.product_id = old.product_id
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = n + excluded.n;
END;

-- Fires only when a count changes: a price edit or a sale that leaves the
-- product in stock costs nothing here.
CREATE TRIGGER products_facets_update AFTER UPDATE OF brand, stock ON products
WHEN old.brand <> new.brand OR (old.stock > 0) <> (new.stock > 0) BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT l.category_id, 'brand', old.brand, -1 FROM category_listing l WHERE l.product_id = new.id AND old.brand <> new.brand
		UNION ALL
		SELECT l.category_id, 'brand', new.brand, 1 FROM category_listing l WHERE l.product_id = new.id AND old.brand <> new.brand
		UNION ALL
		SELECT l.category_id, 'availability', CASE WHEN old.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, -1
		FROM category_listing l WHERE l.product_id = new.id AND (old.stock > 0) <> (new.stock > 0)
		UNION ALL
		SELECT l.category_id, 'availability', CASE WHEN new.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, 1
		FROM category_listing l WHERE l.product_id = new.id AND (old.stock > 0) <> (new.stock > 0)
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER product_options_facets_insert AFTER INSERT ON product_options BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT l.category_id, 'opt_' || new.name, new.value, 1 FROM category_listing l WHERE l.product_id = new.product_id
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER product_options_facets_delete AFTER DELETE ON product_options BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT l.category_id, 'opt_' || old.name, old.value, -1 FROM category_listing l WHERE l.product_id = old.product_id
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = n + excluded.n;
END;

-- A deleted product's listing rows go first, while its brand, stock and
-- options can still be read: foreign-key cascades give no order between
-- category_listing and product_options, nor the product row to read.
CREATE TRIGGER products_facets_delete BEFORE DELETE ON products BEGIN
	DELETE FROM category_listing WHERE product_id = old.id;
END;

INSERT INTO category_facets (category_id, facet, value, n)
	SELECT l.category_id, 'brand', p.brand, count(*) FROM category_listing l JOIN products p ON p.id = l.product_id
	GROUP BY l.category_id, p.brand;
INSERT INTO category_facets (category_id, facet, value, n)
	SELECT l.category_id, 'availability', CASE WHEN p.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, count(*)
	FROM category_listing l JOIN products p ON p.id = l.product_id
	GROUP BY 1, 2, 3;
INSERT INTO category_facets (category_id, facet, value, n)
	SELECT l.category_id, 'opt_' || o.name, o.value, count(*) FROM category_listing l JOIN product_options o ON o.product_id = l.product_id
	GROUP BY l.category_id, o.name, o.value;

-- Suggest (issue 15) matches product names by prefix as they are typed.
-- In product_search a one- or two-letter prefix merges the doclists of
-- every word of every column starting with it (20–80 ms for "c" at
-- 300,000 products); this names-only index keeps prefix doclists for one
-- to three letters, so any prefix reads entries in order and stops at 8.
CREATE VIRTUAL TABLE product_names USING fts5(
	name,
	content = 'products', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '1 2 3'
);
CREATE TRIGGER products_names_insert AFTER INSERT ON products BEGIN
	INSERT INTO product_names (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER products_names_delete AFTER DELETE ON products BEGIN
	INSERT INTO product_names (product_names, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER products_names_update AFTER UPDATE OF name ON products BEGIN
	INSERT INTO product_names (product_names, rowid, name) VALUES ('delete', old.id, old.name);
	INSERT INTO product_names (rowid, name) VALUES (new.id, new.name);
END;
INSERT INTO product_names (product_names) VALUES ('rebuild');
