-- Typo tolerance (issue 15): the words of the search index, so that a
-- misspelt word can be matched to words the catalog has (catalog/typo.go).
-- FTS5 keeps them already; this table reads them, a row per word and column.
CREATE VIRTUAL TABLE product_search_vocab USING fts5vocab(product_search, 'col');
