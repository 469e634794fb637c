package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/media"
)

// SetImages replaces product productID's pictures with images, in order
// (the first is the one listings show): reordering, adding and removing are
// all one call. A key the product does not have yet must be an upload on
// record (the media table), whose size fills a zero Width/Height.
func (c *Catalog) SetImages(ctx context.Context, productID int64, images []Image) error {
	if err := checkImages(images); err != nil {
		return err
	}
	return c.changeImages(ctx, productID, func([]Image) ([]Image, error) { return slices.Clone(images), nil })
}

// AddImage appends img to product productID's pictures, in one transaction
// (concurrent uploads for one product all land); a key the product has
// already is left where it is.
func (c *Catalog) AddImage(ctx context.Context, productID int64, img Image) error {
	if err := checkImages([]Image{img}); err != nil {
		return err
	}
	return c.changeImages(ctx, productID, func(cur []Image) ([]Image, error) {
		if slices.ContainsFunc(cur, func(have Image) bool { return have.Key == img.Key }) {
			return cur, nil
		}
		if len(cur) >= MaxImages {
			return nil, fault.Field("images", "A product has at most %d images.", MaxImages)
		}
		return append(slices.Clone(cur), img), nil
	})
}

func checkImages(images []Image) error {
	if len(images) > MaxImages {
		return fault.Field("images", "A product has at most %d images.", MaxImages)
	}
	seen := make(map[string]bool, len(images))
	for _, img := range images {
		if !media.ValidKey(img.Key) {
			return fault.Field("images.key", "%q is not a media key; upload the image first and use the key it returns.", truncate(img.Key, 80))
		}
		if seen[img.Key] {
			return fault.Field("images.key", "The image %s is listed twice.", img.Key)
		}
		seen[img.Key] = true
		if err := checkText("images.alt", img.Alt, MaxNameLen, false); err != nil {
			return err
		}
	}
	return nil
}

// changeImages rewrites the product's images with what change makes of the
// current ones, keeps products.image_key (the first) current, and purges
// the product's page if it is active and anything changed.
func (c *Catalog) changeImages(ctx context.Context, productID int64, change func(cur []Image) ([]Image, error)) error {
	return c.db.InTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM products WHERE id = $1`+c.forUpdate(), productID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoProduct(productID)
		}
		if err != nil {
			return fmt.Errorf("catalog: product %d: %w", productID, err)
		}
		cur, err := txImages(ctx, tx, productID)
		if err != nil {
			return err
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		for i := range next {
			if err := fillFromMedia(ctx, tx, &next[i], cur); err != nil {
				return err
			}
		}
		if slices.Equal(cur, next) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM product_images WHERE product_id = $1`, productID); err != nil {
			return fmt.Errorf("catalog: clear images: %w", err)
		}
		for i, img := range next {
			if _, err := tx.ExecContext(ctx, `INSERT INTO product_images (product_id, position, media_key, alt, width, height)
				VALUES ($1, $2, $3, $4, $5, $6)`, productID, i, img.Key, img.Alt, img.Width, img.Height); err != nil {
				return fmt.Errorf("catalog: insert image: %w", err)
			}
		}
		first := ""
		if len(next) > 0 {
			first = next[0].Key
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET image_key = $1, updated_at = $2 WHERE id = $3`,
			first, c.now(), productID); err != nil {
			return fmt.Errorf("catalog: product image: %w", err)
		}
		var tags cachehdr.Tags
		if status == "active" {
			tags.Add(cachehdr.ProductTag(productID))
		}
		return c.purge(ctx, tx, tags.List())
	})
}

// fillFromMedia checks that img is one of the product's pictures already or
// an upload on record, and fills a missing size from what it knows.
func fillFromMedia(ctx context.Context, tx *sql.Tx, img *Image, cur []Image) error {
	for _, have := range cur {
		if have.Key == img.Key {
			if img.Width == 0 && img.Height == 0 {
				img.Width, img.Height = have.Width, have.Height
			}
			return nil
		}
	}
	sz, ok, err := media.SizeTx(ctx, tx, img.Key)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if !ok {
		return fault.Field("images.key", "No uploaded image has the key %s; upload it first.", img.Key)
	}
	if img.Width == 0 && img.Height == 0 {
		img.Width, img.Height = sz.Width, sz.Height
	}
	return nil
}

func txImages(ctx context.Context, tx *sql.Tx, productID int64) ([]Image, error) {
	rows, err := tx.QueryContext(ctx, `SELECT media_key, alt, width, height
		FROM product_images WHERE product_id = $1 ORDER BY position`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: images of %d: %w", productID, err)
	}
	defer rows.Close()
	var out []Image
	for rows.Next() {
		var i Image
		if err := rows.Scan(&i.Key, &i.Alt, &i.Width, &i.Height); err != nil {
			return nil, fmt.Errorf("catalog: images of %d: %w", productID, err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}
