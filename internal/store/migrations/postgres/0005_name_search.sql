-- Search tiers (issue 15): relevance pages score the products whose name or
-- brand match. The weights of products.search cannot be searched through
-- its GIN index (every match is rechecked on the heap), so the name and
-- brand get an index of their own, on the same expression the catalog
-- queries (catalog.nameVector).
CREATE INDEX products_name_search ON products USING GIN ((
	to_tsvector('simple', agora_fold(name)) || to_tsvector('simple', agora_fold(brand))
)) WITH (fastupdate = off);
