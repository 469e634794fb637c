-- Facet counts per category (issue 15). Mirrors migrations/sqlite/0012,
-- which states the invariant the triggers keep.
--
-- A count row is updated in the writing transaction, so it is locked until
-- that commits: two transactions that change the same category's count of
-- the same value (two imports into one department, two checkouts selling
-- out products of one category) take turns at that row. Price edits and
-- sales that leave a product in stock touch no count.
CREATE TABLE category_facets (
	category_id BIGINT NOT NULL,
	facet TEXT NOT NULL COLLATE "C",
	value TEXT NOT NULL COLLATE "C",
	n INTEGER NOT NULL,
	PRIMARY KEY (category_id, facet, value)
);

-- agora_facets_add adds d to every count product pid contributes to
-- category cat's listing.
CREATE FUNCTION agora_facets_add(cat BIGINT, pid BIGINT, d INTEGER) RETURNS void LANGUAGE sql AS $$
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT cat, 'brand', p.brand, d FROM products p WHERE p.id = pid
		UNION ALL
		SELECT cat, 'availability', CASE WHEN p.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, d
		FROM products p WHERE p.id = pid
		UNION ALL
		SELECT cat, 'opt_' || o.name, o.value, d FROM product_options o WHERE o.product_id = pid
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = category_facets.n + excluded.n;
$$;

CREATE FUNCTION agora_facets_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM agora_facets_add(NEW.category_id, NEW.product_id, 1);
	ELSE
		PERFORM agora_facets_add(OLD.category_id, OLD.product_id, -1);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER category_listing_facets AFTER INSERT OR DELETE ON category_listing
	FOR EACH ROW EXECUTE FUNCTION agora_facets_listing();

CREATE FUNCTION agora_facets_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO category_facets (category_id, facet, value, n)
		SELECT l.category_id, v.facet, v.value, v.d FROM category_listing l,
		(VALUES ('brand', OLD.brand, -1), ('brand', NEW.brand, 1)) v(facet, value, d)
		WHERE l.product_id = NEW.id AND OLD.brand <> NEW.brand
		UNION ALL
		SELECT l.category_id, 'availability', CASE WHEN v.stock > 0 THEN 'in_stock' ELSE 'out_of_stock' END, v.d
		FROM category_listing l, (VALUES (OLD.stock, -1), (NEW.stock, 1)) v(stock, d)
		WHERE l.product_id = NEW.id AND (OLD.stock > 0) <> (NEW.stock > 0)
		ON CONFLICT (category_id, facet, value) DO UPDATE SET n = category_facets.n + excluded.n;
	RETURN NULL;
END $$;
-- Fires only when a count changes: a price edit or a sale that leaves the
-- product in stock costs nothing here.
CREATE TRIGGER products_facets AFTER UPDATE OF brand, stock ON products
	FOR EACH ROW WHEN (OLD.brand <> NEW.brand OR (OLD.stock > 0) <> (NEW.stock > 0))
	EXECUTE FUNCTION agora_facets_product();

CREATE FUNCTION agora_facets_option() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO category_facets (category_id, facet, value, n)
			SELECT l.category_id, 'opt_' || NEW.name, NEW.value, 1 FROM category_listing l WHERE l.product_id = NEW.product_id
			ON CONFLICT (category_id, facet, value) DO UPDATE SET n = category_facets.n + excluded.n;
	ELSE
		INSERT INTO category_facets (category_id, facet, value, n)
			SELECT l.category_id, 'opt_' || OLD.name, OLD.value, -1 FROM category_listing l WHERE l.product_id = OLD.product_id
			ON CONFLICT (category_id, facet, value) DO UPDATE SET n = category_facets.n + excluded.n;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER product_options_facets AFTER INSERT OR DELETE ON product_options
	FOR EACH ROW EXECUTE FUNCTION agora_facets_option();

-- A deleted product's listing rows go first, while its brand, stock and
-- options can still be read (cascades run after the product row is gone).
CREATE FUNCTION agora_facets_product_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM category_listing WHERE product_id = OLD.id;
	RETURN OLD;
END $$;
CREATE TRIGGER products_facets_delete BEFORE DELETE ON products
	FOR EACH ROW EXECUTE FUNCTION agora_facets_product_delete();

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
