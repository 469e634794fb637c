package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
)

// productColumns is the column list scanProduct reads, in order.
const productColumns = `p.id, p.slug, p.name, p.description, p.brand, p.status, p.featured,
	p.price_cents, p.currency, p.stock, p.image_key, p.created_at, p.updated_at, p.attributes`

func scanProduct(row interface{ Scan(...any) error }, p *Product) error {
	var attrs string
	err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.Brand, &p.Status, &p.Featured,
		&p.PriceCents, &p.Currency, &p.Stock, &p.ImageKey, &p.CreatedAt, &p.UpdatedAt, &attrs)
	if err != nil {
		return err
	}
	if p.Attributes, err = decodeAttributes(attrs, p.ID); err != nil {
		return fmt.Errorf("attributes of %w", err)
	}
	return nil
}

// ProductBySlug returns an active product with its variants, images,
// categories and breadcrumb. Drafts and archived products are not found.
func (c *Catalog) ProductBySlug(ctx context.Context, slug string) (*Product, error) {
	// A slug that cannot exist never reaches the database: this also keeps
	// invalid UTF-8 and NUL bytes away from PostgreSQL, which rejects them.
	if !utf8.ValidString(slug) || len(slug) > MaxSlugLen || strings.ContainsRune(slug, 0) {
		return nil, fault.New(fault.NotFound, "No product is called %q.", truncate(slug, 60))
	}
	var p Product
	row := c.db.QueryRow(ctx, `SELECT `+productColumns+` FROM products p WHERE p.slug = $1 AND p.status = 'active'`, slug)
	if err := scanProduct(row, &p); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fault.New(fault.NotFound, "No product is called %q.", truncate(slug, 60))
		}
		return nil, fmt.Errorf("catalog: product %q: %w", slug, err)
	}
	if err := c.loadProductDetails(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (c *Catalog) loadProductDetails(ctx context.Context, p *Product) error {
	var err error
	if p.Variants, err = c.variants(ctx, p.ID); err != nil {
		return err
	}
	if p.Images, err = c.images(ctx, p.ID); err != nil {
		return err
	}
	var deepest string
	p.CategoryIDs, deepest, err = c.productCategories(ctx, p.ID)
	if err != nil {
		return err
	}
	p.Breadcrumb, err = c.categoriesOnPath(ctx, deepest)
	return err
}

func (c *Catalog) variants(ctx context.Context, productID int64) ([]Variant, error) {
	rows, err := c.db.Query(ctx, `SELECT id, product_id, sku, name, options, price_cents, currency, stock
		FROM variants WHERE product_id = $1 ORDER BY position, id`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: variants of %d: %w", productID, err)
	}
	defer rows.Close()
	var vs []Variant
	for rows.Next() {
		var v Variant
		var opts string
		if err := rows.Scan(&v.ID, &v.ProductID, &v.SKU, &v.Name, &opts, &v.PriceCents, &v.Currency, &v.Stock); err != nil {
			return nil, fmt.Errorf("catalog: variants of %d: %w", productID, err)
		}
		if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
			return nil, fmt.Errorf("catalog: options of variant %d: %w", v.ID, err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func (c *Catalog) images(ctx context.Context, productID int64) ([]Image, error) {
	rows, err := c.db.Query(ctx, `SELECT media_key, alt, width, height
		FROM product_images WHERE product_id = $1 ORDER BY position`, productID)
	if err != nil {
		return nil, fmt.Errorf("catalog: images of %d: %w", productID, err)
	}
	defer rows.Close()
	var is []Image
	for rows.Next() {
		var i Image
		if err := rows.Scan(&i.Key, &i.Alt, &i.Width, &i.Height); err != nil {
			return nil, fmt.Errorf("catalog: images of %d: %w", productID, err)
		}
		is = append(is, i)
	}
	return is, rows.Err()
}

// productCategories returns the ids of the product's categories and the
// path of the deepest one, which the breadcrumb follows.
func (c *Catalog) productCategories(ctx context.Context, productID int64) ([]int64, string, error) {
	rows, err := c.db.Query(ctx, `SELECT c.id, c.path FROM product_categories pc
		JOIN categories c ON c.id = pc.category_id WHERE pc.product_id = $1 ORDER BY c.id`, productID)
	if err != nil {
		return nil, "", fmt.Errorf("catalog: categories of %d: %w", productID, err)
	}
	defer rows.Close()
	var ids []int64
	var deepest string
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			return nil, "", fmt.Errorf("catalog: categories of %d: %w", productID, err)
		}
		ids = append(ids, id)
		if strings.Count(path, "/") > strings.Count(deepest, "/") {
			deepest = path
		}
	}
	return ids, deepest, rows.Err()
}

// parsePath turns "/1/5/9/" into [1 5 9].
func parsePath(path string) []int64 {
	var ids []int64
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
