-- Suggest (issue 15) matches product names alone. It used the weight-A
-- part of products.search, which the GIN index cannot tell apart: a prefix
-- that only descriptions have ("tes", for "tested") matched candidates in
-- the index and was then refused row by row, and the planner, expecting
-- many matches, read all 300,000 products for none (110 ms). This index
-- holds the names' words only, so such a prefix finds nothing at once.
-- Mirrors migrations/sqlite/0012's product_names, which does the same.
CREATE INDEX products_name_words ON products USING GIN (to_tsvector('simple', agora_fold(name)))
	WITH (fastupdate = off);
-- Statistics of the indexed expression at once: without them the planner
-- guessed that 2% of names match any prefix and read every product,
-- computing its words, for a prefix none has (1.4 s at 300,000 products).
ANALYZE products;
