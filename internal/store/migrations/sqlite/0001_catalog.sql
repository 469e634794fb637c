-- The catalog: categories (a tree), products with variants and images,
-- product-category links, a listing table for fast sorted pages, and FTS5.

CREATE TABLE categories (
	id INTEGER PRIMARY KEY,
	parent_id INTEGER REFERENCES categories(id) ON DELETE RESTRICT,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL DEFAULT 0,
	-- ids from the root down to this category, "/1/5/9/": breadcrumbs and
	-- subtree queries without recursion.
	path TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX categories_parent ON categories(parent_id, position);

CREATE TABLE products (
	id INTEGER PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	brand TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draft', 'archived')),
	featured BOOLEAN NOT NULL DEFAULT FALSE,
	position INTEGER NOT NULL DEFAULT 0,
	-- Kept current from variants and images by the catalog's writers, so
	-- listings read one row per product.
	price_cents INTEGER NOT NULL DEFAULT 0,
	currency TEXT NOT NULL DEFAULT 'EUR',
	stock INTEGER NOT NULL DEFAULT 0,
	image_key TEXT NOT NULL DEFAULT '',
	-- Merchandising order (featured first, then position) and the folded
	-- name: the sort keys of listings, copied into category_listing.
	rank INTEGER NOT NULL DEFAULT 0,
	name_key TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX products_new ON products(status, created_at DESC, id DESC);
CREATE INDEX products_featured ON products(status, featured, position, id);
CREATE INDEX products_rank ON products(status, rank, id);
CREATE INDEX products_price ON products(status, price_cents, id);
CREATE INDEX products_name ON products(status, name_key, id);

CREATE TABLE variants (
	id INTEGER PRIMARY KEY,
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	sku TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	-- JSON array of {"name":…, "value":…}, in display order.
	options TEXT NOT NULL DEFAULT '[]',
	price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
	currency TEXT NOT NULL DEFAULT 'EUR',
	stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
	position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX variants_product ON variants(product_id, position);

CREATE TABLE product_images (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	media_key TEXT NOT NULL,
	alt TEXT NOT NULL DEFAULT '',
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (product_id, position)
);

CREATE TABLE product_categories (
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
	PRIMARY KEY (product_id, category_id)
);
CREATE INDEX product_categories_category ON product_categories(category_id);

-- One row per active product per category it is listed under (its own
-- categories and all their ancestors), carrying the sort keys, so any page
-- of any sort of any category is an index range scan.
CREATE TABLE category_listing (
	category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	rank INTEGER NOT NULL,
	price_cents INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL,
	name_key TEXT NOT NULL,
	PRIMARY KEY (category_id, product_id)
);
CREATE INDEX category_listing_rank ON category_listing(category_id, rank, product_id);
CREATE INDEX category_listing_price ON category_listing(category_id, price_cents, product_id);
CREATE INDEX category_listing_new ON category_listing(category_id, created_at, product_id);
CREATE INDEX category_listing_name ON category_listing(category_id, name_key, product_id);
CREATE INDEX category_listing_product ON category_listing(product_id);

-- Full-text search over products (external content: the text lives once, in
-- products). unicode61 folds case and, with remove_diacritics 2, accents.
CREATE VIRTUAL TABLE product_search USING fts5(
	name, brand, description,
	content = 'products', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
	INSERT INTO product_search (rowid, name, brand, description) VALUES (new.id, new.name, new.brand, new.description);
END;
CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
	INSERT INTO product_search (product_search, rowid, name, brand, description) VALUES ('delete', old.id, old.name, old.brand, old.description);
END;
CREATE TRIGGER products_search_update AFTER UPDATE OF name, brand, description ON products BEGIN
	INSERT INTO product_search (product_search, rowid, name, brand, description) VALUES ('delete', old.id, old.name, old.brand, old.description);
	INSERT INTO product_search (rowid, name, brand, description) VALUES (new.id, new.name, new.brand, new.description);
END;
