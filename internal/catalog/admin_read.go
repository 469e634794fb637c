package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"agora/internal/fault"
	"agora/internal/store"
)

// ProductByID returns product id in any status (drafts and archived ones
// too, for staff) with its variants, images, categories and breadcrumb.
func (c *Catalog) ProductByID(ctx context.Context, id int64) (*Product, error) {
	var p Product
	row := c.db.QueryRow(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, id)
	if err := scanProduct(row, &p); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoProduct(id)
		}
		return nil, fmt.Errorf("catalog: product %d: %w", id, err)
	}
	if err := c.loadProductDetails(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AdminQuery selects a page of products for staff, of any status.
type AdminQuery struct {
	Query      string // words of the name, brand or description, or a SKU exactly
	Status     string // "", active, draft or archived
	CategoryID int64  // 0: all; else this category and its subcategories
	Page       int    // 1-based; 0 means 1
	PerPage    int    // 0 means DefaultPerPage
}

// AdminList returns one page of products of any status, newest first, with
// Summary.Status set.
func (c *Catalog) AdminList(ctx context.Context, q AdminQuery) (ListResult, error) {
	lq := ListQuery{Query: q.Query, Page: q.Page, PerPage: q.PerPage}
	if err := lq.normalize(); err != nil {
		return ListResult{}, err
	}
	if strings.ContainsRune(q.Query, 0) {
		return ListResult{}, fault.Field("q", "The search must be text (no NUL characters).")
	}
	if q.Status != "" && !validStatus(q.Status) {
		return ListResult{}, fault.Field("status", "Status must be active, draft or archived.")
	}
	res := ListResult{Page: lq.Page, PerPage: lq.PerPage}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Query != "" {
		// Staff look products up by words or by the SKU on a shelf label.
		sku := "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.sku = " + arg(strings.TrimSpace(q.Query)) + ")"
		if terms := searchTerms(q.Query); len(terms) > 0 {
			match := arg(matchExpr(c.db.Dialect, wordGroups(terms)))
			text := "p.id IN (SELECT rowid FROM product_search WHERE product_search MATCH " + match + ")"
			if c.db.Dialect == store.Postgres {
				text = "p.search @@ to_tsquery('simple', agora_fold(" + match + "))"
			}
			sku = "(" + text + " OR " + sku + ")"
		}
		where = append(where, sku)
	}
	if q.Status != "" {
		where = append(where, "p.status = "+arg(q.Status))
	}
	if q.CategoryID != 0 {
		// Not category_listing: it holds active products only.
		where = append(where, `EXISTS (SELECT 1 FROM product_categories pc JOIN categories c ON c.id = pc.category_id
			WHERE pc.product_id = p.id AND c.path LIKE (SELECT path FROM categories WHERE id = `+arg(q.CategoryID)+`) || '%')`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if err := c.db.QueryRow(ctx, "SELECT count(*) FROM products p"+cond, args...).Scan(&res.Total); err != nil {
		return res, fmt.Errorf("catalog: count products: %w", err)
	}
	offset := (res.Page - 1) * res.PerPage
	if res.Total == 0 || offset >= res.Total {
		return res, nil
	}
	rows, err := c.db.Query(ctx, "SELECT "+summaryColumns+", p.status FROM products p"+cond+
		" ORDER BY p.id DESC LIMIT "+arg(res.PerPage)+" OFFSET "+arg(offset), args...)
	if err != nil {
		return res, fmt.Errorf("catalog: admin listing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Summary
		if err := rows.Scan(&s.ID, &s.Slug, &s.Name, &s.PriceCents, &s.Currency, &s.Stock, &s.ImageKey, &s.CreatedAt, &s.Status); err != nil {
			return res, fmt.Errorf("catalog: admin listing: %w", err)
		}
		res.Items = append(res.Items, s)
	}
	return res, rows.Err()
}

// LowStockVariant is a variant of an active product at or under LowStock.
type LowStockVariant struct {
	ProductID             int64
	Product, SKU, Variant string
	Stock                 int
}

// LowStockVariants lists up to limit variants of active products with
// LowStock or fewer left, the emptiest first (the admin's dashboard).
func (c *Catalog) LowStockVariants(ctx context.Context, limit int) ([]LowStockVariant, error) {
	rows, err := c.db.Query(ctx, `SELECT p.id, p.name, v.sku, v.name, v.stock
		FROM variants v JOIN products p ON p.id = v.product_id
		WHERE p.status = 'active' AND v.stock <= $1
		ORDER BY v.stock, p.name, v.id LIMIT $2`, LowStock, limit)
	if err != nil {
		return nil, fmt.Errorf("catalog: low stock: %w", err)
	}
	defer rows.Close()
	var out []LowStockVariant
	for rows.Next() {
		var l LowStockVariant
		if err := rows.Scan(&l.ProductID, &l.Product, &l.SKU, &l.Variant, &l.Stock); err != nil {
			return nil, fmt.Errorf("catalog: low stock: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
