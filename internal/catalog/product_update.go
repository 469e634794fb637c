package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// MaxProductCategories bounds the categories one product is linked to.
const MaxProductCategories = 50

// ProductPatch changes some of a product's fields; nil fields stay as they
// are. CategoryIDs replaces the product's categories, Attributes its
// attributes (an empty list removes them).
type ProductPatch struct {
	Name, Slug, Description, Brand, Status *string
	Featured                               *bool
	CategoryIDs                            *[]int64
	Attributes                             *[]Option
}

func (p *ProductPatch) validate() error {
	if p.Name != nil {
		if err := checkText("name", *p.Name, MaxNameLen, true); err != nil {
			return err
		}
	}
	if p.Slug != nil && !ValidSlug(*p.Slug) {
		return fault.Field("slug", "A slug is lower-case letters, digits and single hyphens, at most %d characters.", MaxSlugLen)
	}
	if p.Description != nil {
		if err := checkText("description", *p.Description, MaxDescriptionLen, false); err != nil {
			return err
		}
	}
	if p.Brand != nil {
		if err := checkText("brand", *p.Brand, MaxNameLen, false); err != nil {
			return err
		}
	}
	if p.Status != nil && !validStatus(*p.Status) {
		return fault.Field("status", "Status must be active, draft or archived.")
	}
	if p.CategoryIDs != nil {
		if err := checkCategoryIDs(*p.CategoryIDs); err != nil {
			return err
		}
	}
	if p.Attributes != nil {
		if _, err := CleanAttributes(*p.Attributes); err != nil {
			return err
		}
	}
	return nil
}

func validStatus(s string) bool { return s == "active" || s == "draft" || s == "archived" }

func checkCategoryIDs(ids []int64) error {
	if len(ids) > MaxProductCategories {
		return fault.Field("category_ids", "A product is in at most %d categories.", MaxProductCategories)
	}
	for _, id := range ids {
		if id <= 0 {
			return fault.Field("category_ids", "The category %d does not exist.", id)
		}
	}
	return nil
}

// productRow is what UpdateProduct reads and writes of a product.
type productRow struct {
	slug, name, description, brand, status string
	featured                               bool
	position                               int
	categories                             []int64  // linked, sorted
	attributes                             []Option // never nil
}

// UpdateProduct applies p to product id and returns the product as it now
// is. A patch that changes nothing writes nothing and purges nothing.
func (c *Catalog) UpdateProduct(ctx context.Context, id int64, p ProductPatch) (*Product, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	err := c.db.InTx(ctx, func(tx *sql.Tx) error { return c.updateProduct(ctx, tx, id, p) })
	if err != nil {
		return nil, err
	}
	return c.ProductByID(ctx, id)
}

func (c *Catalog) updateProduct(ctx context.Context, tx *sql.Tx, id int64, p ProductPatch) error {
	cur, err := readProductRow(ctx, tx, id, c.forUpdate())
	if err != nil {
		return err
	}
	next := cur
	set(&next.name, p.Name)
	set(&next.slug, p.Slug)
	set(&next.description, p.Description)
	set(&next.brand, p.Brand)
	set(&next.status, p.Status)
	set(&next.featured, p.Featured)
	if p.CategoryIDs != nil {
		next.categories = dedupe(*p.CategoryIDs)
		slices.Sort(next.categories)
	}
	if p.Attributes != nil {
		if next.attributes, err = CleanAttributes(*p.Attributes); err != nil {
			return err
		}
	}
	catsChanged := !slices.Equal(cur.categories, next.categories)
	attrsChanged := !slices.Equal(cur.attributes, next.attributes)
	// What the product page shows: its text, URL, breadcrumb and details.
	pageChanged := cur.name != next.name || cur.slug != next.slug || cur.description != next.description ||
		cur.brand != next.brand || catsChanged || attrsChanged
	if !pageChanged && cur.status == next.status && cur.featured == next.featured {
		return nil
	}

	home, err := homeShelves(ctx, tx)
	if err != nil {
		return err
	}
	before, err := listedIn(ctx, tx, id)
	if err != nil {
		return err
	}
	attrs, err := encodeAttributes(next.attributes)
	if err != nil {
		return err
	}
	// relist below rewrites product_options from the attributes written here.
	_, err = tx.ExecContext(ctx, `UPDATE products SET slug = $1, name = $2, description = $3, brand = $4, status = $5,
		featured = $6, rank = $7, name_key = $8, updated_at = $9, attributes = $10 WHERE id = $11`,
		next.slug, next.name, next.description, next.brand, next.status, next.featured,
		rankOf(next.featured, next.position), NameKey(next.name), c.now(), attrs, id)
	if store.IsUniqueViolation(err) {
		return fault.Field("slug", "The slug %q is already used by another product.", next.slug)
	}
	if err != nil {
		return fmt.Errorf("catalog: update product %d: %w", id, err)
	}
	if catsChanged {
		if err := linkCategories(ctx, tx, id, next.categories); err != nil {
			return err
		}
	}
	after, err := relist(ctx, tx, c.db.Dialect, id)
	if err != nil {
		return err
	}

	var tags cachehdr.Tags
	wasActive, isActive := cur.status == "active", next.status == "active"
	if wasActive != isActive || isActive && pageChanged {
		tags.Add(cachehdr.ProductTag(id))
	}
	addCategoryChanges(&tags, before, after)
	if wasActive && isActive && cur.featured != next.featured {
		addCategoryTags(&tags, after) // featured products sort first in every listing
	}
	if err := addHomeTag(ctx, tx, home, &tags); err != nil {
		return err
	}
	return c.purge(ctx, tx, tags.List())
}

func readProductRow(ctx context.Context, tx *sql.Tx, id int64, lock string) (productRow, error) {
	var r productRow
	var attrs string
	err := tx.QueryRowContext(ctx, `SELECT slug, name, description, brand, status, featured, position, attributes
		FROM products WHERE id = $1`+lock, id).
		Scan(&r.slug, &r.name, &r.description, &r.brand, &r.status, &r.featured, &r.position, &attrs)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoProduct(id)
	}
	if err != nil {
		return r, fmt.Errorf("catalog: product %d: %w", id, err)
	}
	if r.attributes, err = decodeAttributes(attrs, id); err != nil {
		return r, fmt.Errorf("catalog: attributes of %w", err)
	}
	r.categories, err = queryIDs(ctx, tx, "categories of a product",
		`SELECT category_id FROM product_categories WHERE product_id = $1 ORDER BY category_id`, id)
	return r, err
}

// linkCategories replaces the product's categories with ids.
func linkCategories(ctx context.Context, tx *sql.Tx, id int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM product_categories WHERE product_id = $1`, id); err != nil {
		return fmt.Errorf("catalog: unlink categories: %w", err)
	}
	for _, cid := range ids {
		_, err := tx.ExecContext(ctx, `INSERT INTO product_categories (product_id, category_id) VALUES ($1, $2)`, id, cid)
		if store.IsForeignKeyViolation(err) {
			return fault.Field("category_ids", "The category %d does not exist.", cid)
		}
		if err != nil {
			return fmt.Errorf("catalog: link category: %w", err)
		}
	}
	return nil
}

func errNoProduct(id int64) error {
	return fault.New(fault.NotFound, "There is no product with id %d.", id)
}

// set copies *from into *to when from is given.
func set[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}
