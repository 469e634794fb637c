-- Typo tolerance (issue 15): the words of product names and brands (the
-- A and B weights of products.search), so that a misspelt word can be
-- matched to words the catalog has (catalog/typo.go). Words are only
-- added: one no product uses any more matches nothing, which is harmless.
CREATE TABLE search_vocab (term TEXT PRIMARY KEY);

CREATE FUNCTION agora_search_vocab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO search_vocab (term)
		SELECT unnest(tsvector_to_array(ts_filter(NEW.search, '{a,b}')))
		ON CONFLICT DO NOTHING;
	RETURN NULL;
END $$;

CREATE TRIGGER products_search_vocab AFTER INSERT OR UPDATE OF name, brand ON products
	FOR EACH ROW EXECUTE FUNCTION agora_search_vocab();

INSERT INTO search_vocab (term)
	SELECT DISTINCT unnest(tsvector_to_array(ts_filter(search, '{a,b}'))) FROM products
	ON CONFLICT DO NOTHING;
