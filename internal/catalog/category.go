package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
)

const categoryColumns = `id, COALESCE(parent_id, 0), slug, name, description, position, path`

func scanCategory(row interface{ Scan(...any) error }, cat *Category) error {
	var path string
	if err := row.Scan(&cat.ID, &cat.ParentID, &cat.Slug, &cat.Name, &cat.Description, &cat.Position, &path); err != nil {
		return err
	}
	cat.Path = parsePath(path)
	return nil
}

// Tree returns the top-level categories, in order, with their descendants.
func (c *Catalog) Tree(ctx context.Context) ([]*Category, error) {
	rows, err := c.db.Query(ctx, `SELECT `+categoryColumns+` FROM categories ORDER BY position, name, id`)
	if err != nil {
		return nil, fmt.Errorf("catalog: categories: %w", err)
	}
	defer rows.Close()
	var all []*Category
	byID := map[int64]*Category{}
	for rows.Next() {
		cat := new(Category)
		if err := scanCategory(rows, cat); err != nil {
			return nil, fmt.Errorf("catalog: categories: %w", err)
		}
		all = append(all, cat)
		byID[cat.ID] = cat
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: categories: %w", err)
	}
	var roots []*Category
	for _, cat := range all { // already in position order, so children are too
		if parent, ok := byID[cat.ParentID]; ok {
			parent.Children = append(parent.Children, cat)
		} else {
			roots = append(roots, cat)
		}
	}
	return roots, nil
}

// TopCategories returns the top-level categories in order, without children.
func (c *Catalog) TopCategories(ctx context.Context) ([]Category, error) {
	return c.queryCategories(ctx, `SELECT `+categoryColumns+` FROM categories WHERE parent_id IS NULL ORDER BY position, name, id`)
}

// CategoryBySlug returns the category with its direct children, and the
// breadcrumb from the root down to it (the category itself last).
func (c *Catalog) CategoryBySlug(ctx context.Context, slug string) (*Category, []Category, error) {
	if !utf8.ValidString(slug) || len(slug) > MaxSlugLen || strings.ContainsRune(slug, 0) {
		return nil, nil, fault.New(fault.NotFound, "No category is called %q.", truncate(slug, 60))
	}
	cat := new(Category)
	row := c.db.QueryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE slug = $1`, slug)
	if err := scanCategory(row, cat); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fault.New(fault.NotFound, "No category is called %q.", truncate(slug, 60))
		}
		return nil, nil, fmt.Errorf("catalog: category %q: %w", slug, err)
	}
	children, err := c.queryCategories(ctx, `SELECT `+categoryColumns+` FROM categories WHERE parent_id = $1 ORDER BY position, name, id`, cat.ID)
	if err != nil {
		return nil, nil, err
	}
	for i := range children {
		cat.Children = append(cat.Children, &children[i])
	}
	crumbs, err := c.categoriesOnPath(ctx, pathString(cat.Path))
	if err != nil {
		return nil, nil, err
	}
	return cat, crumbs, nil
}

// categoriesOnPath returns the categories of a path "/1/5/9/", root first.
func (c *Catalog) categoriesOnPath(ctx context.Context, path string) ([]Category, error) {
	ids := parsePath(path)
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	found, err := c.queryCategories(ctx, `SELECT `+categoryColumns+` FROM categories WHERE id IN (`+strings.Join(marks, ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Category, len(found))
	for _, cat := range found {
		byID[cat.ID] = cat
	}
	out := make([]Category, 0, len(ids))
	for _, id := range ids {
		if cat, ok := byID[id]; ok {
			out = append(out, cat)
		}
	}
	return out, nil
}

func (c *Catalog) queryCategories(ctx context.Context, query string, args ...any) ([]Category, error) {
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: categories: %w", err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		var cat Category
		if err := scanCategory(rows, &cat); err != nil {
			return nil, fmt.Errorf("catalog: categories: %w", err)
		}
		out = append(out, cat)
	}
	return out, rows.Err()
}

func pathString(ids []int64) string {
	var b strings.Builder
	b.WriteByte('/')
	for _, id := range ids {
		fmt.Fprintf(&b, "%d/", id)
	}
	return b.String()
}
