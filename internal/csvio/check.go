package csvio

import (
	"context"

	"agora/internal/store"
)

// checkDatabase checks the items against the catalog: SKUs not taken by
// another product, categories that exist, no new handle with UpdateOnly;
// and fills in the id of the product an existing handle names, category
// ids and the sizes of uploaded images. The catalog's unique indexes still guard the write;
// these checks are what lets a refusal name the row.
func checkDatabase(ctx context.Context, db *store.DB, items []*item, opts Options) (*categoryPaths, error) {
	var handles, skus, keys []string
	for _, it := range items {
		handles = append(handles, it.handle)
		for _, v := range it.np.Variants {
			if v.SKU != "" {
				skus = append(skus, v.SKU)
			}
		}
		for _, img := range it.np.Images {
			keys = append(keys, img.Key)
		}
	}
	taken, err := existingHandles(ctx, db, handles)
	if err != nil {
		return nil, err
	}
	owners, err := existingSKUs(ctx, db, skus)
	if err != nil {
		return nil, err
	}
	sizes, err := imageSizes(ctx, db, keys)
	if err != nil {
		return nil, err
	}
	paths, err := loadCategoryPaths(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		// A handle the catalog has is an update of that product.
		it.existing = taken[it.handle]
		if it.existing == 0 && opts.UpdateOnly {
			it.fail(it.rows[0].n, colHandle, "No product has the handle %q: with update-only, a file changes existing products and creates none.", truncate(it.handle, 60))
		}
		for i, v := range it.np.Variants {
			if owner, ok := owners[v.SKU]; ok && owner != it.handle {
				it.fail(it.rows[i].n, colSKU, "The SKU %q already belongs to the product %q.", v.SKU, owner)
			}
		}
		for i, img := range it.np.Images {
			if wh, ok := sizes[img.Key]; ok {
				it.np.Images[i].Width, it.np.Images[i].Height = wh[0], wh[1]
			}
		}
		it.resolveCategories(paths)
	}
	return paths, nil
}

func (it *item) resolveCategories(paths *categoryPaths) {
	for _, ref := range it.cats {
		ids := paths.byKey[pathKey(ref.path)]
		switch len(ids) {
		case 0:
			it.fail(ref.row, colCategories, "Unknown category %q: create it in the admin first, or check the spelling (levels are separated by \">\", categories by \"|\").", truncate(ref.path, 100))
		case 1:
			it.np.CategoryIDs = append(it.np.CategoryIDs, ids[0])
		default:
			it.fail(ref.row, colCategories, "Several categories are called %q: rename one of them in the admin.", truncate(ref.path, 100))
		}
	}
}
