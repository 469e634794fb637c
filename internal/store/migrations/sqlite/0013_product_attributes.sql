-- Product-level attributes (issue 15): what belongs to the product itself
-- rather than to one of its variants (Material: Cotton, Origin: Portugal).
-- A JSON array of {"name":…, "value":…} in the order the merchant typed
-- them, as variants.options holds a variant's. The catalog's writers fold
-- them into product_options with the variants' options, so they are
-- filters and facets (and counted by category_facets' triggers) with no
-- other change. Existing products have none: nothing to backfill.
ALTER TABLE products ADD COLUMN attributes TEXT NOT NULL DEFAULT '[]';
