package csvio

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"agora/internal/catalog"
	"agora/internal/media"
	"agora/internal/store"
)

// existingHandles maps the handles already taken to their product's id.
func existingHandles(ctx context.Context, db *store.DB, handles []string) (map[string]int64, error) {
	found := map[string]int64{}
	err := db.InChunks(ctx, `SELECT slug, id FROM products WHERE slug IN (%s)`, handles, func(r *sql.Rows) error {
		var slug string
		var id int64
		err := r.Scan(&slug, &id)
		found[slug] = id
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("csvio: existing handles: %w", err)
	}
	return found, nil
}

// existingSKUs maps the SKUs already taken to their product's handle.
func existingSKUs(ctx context.Context, db *store.DB, skus []string) (map[string]string, error) {
	found := map[string]string{}
	err := db.InChunks(ctx, `SELECT v.sku, p.slug FROM variants v JOIN products p ON p.id = v.product_id WHERE v.sku IN (%s)`, skus, func(r *sql.Rows) error {
		var sku, slug string
		err := r.Scan(&sku, &slug)
		found[sku] = slug
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("csvio: existing SKUs: %w", err)
	}
	return found, nil
}

// imageSizes gives the width and height of uploaded images (media's
// records), so imported products get the same layout hints as products
// edited in the admin. Keys not in the media registry (seeded images, say)
// keep 0×0, which pages treat as unknown.
func imageSizes(ctx context.Context, db *store.DB, keys []string) (map[string][2]int, error) {
	sizes, err := media.Sizes(ctx, db, keys)
	if err != nil {
		return nil, fmt.Errorf("csvio: image sizes: %w", err)
	}
	found := make(map[string][2]int, len(sizes))
	for k, sz := range sizes {
		found[k] = [2]int{sz.Width, sz.Height}
	}
	return found, nil
}

// categoryPaths names every category by its path from the root, "Clothing >
// Men > Shirts", and indexes them by the folded path that imports match.
type categoryPaths struct {
	byID  map[int64]string
	byKey map[string][]int64 // more than one: two categories share a path
}

func loadCategoryPaths(ctx context.Context, db *store.DB) (*categoryPaths, error) {
	roots, err := catalog.New(db).Tree(ctx)
	if err != nil {
		return nil, err
	}
	cp := &categoryPaths{byID: map[int64]string{}, byKey: map[string][]int64{}}
	var walk func(prefix string, cats []*catalog.Category)
	walk = func(prefix string, cats []*catalog.Category) {
		for _, c := range cats {
			path := c.Name
			if prefix != "" {
				path = prefix + " " + pathSep + " " + c.Name
			}
			cp.byID[c.ID] = path
			k := pathKey(path)
			cp.byKey[k] = append(cp.byKey[k], c.ID)
			walk(path, c.Children)
		}
	}
	walk("", roots)
	return cp, nil
}

// pathKey folds a path for matching: case and the spaces around ">" do not
// matter. A name that itself holds ">" still matches, since both sides are
// folded alike.
func pathKey(path string) string {
	parts := strings.Split(path, pathSep)
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, pathSep)
}
