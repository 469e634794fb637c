package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// MaxPosition bounds merchandising positions (categories.position is a
// 32-bit column, and rankOf shifts featured products by a million).
const MaxPosition = 1_000_000

func checkPosition(p int) error {
	if p < -MaxPosition || p > MaxPosition {
		return fault.Field("position", "Position must be between %d and %d.", -MaxPosition, MaxPosition)
	}
	return nil
}

// CategoryPatch changes some of a category's fields; nil fields stay as
// they are.
type CategoryPatch struct {
	Name, Slug, Description *string
	// ParentID moves the category, with its subcategories and products,
	// under another category; 0 moves it to the top level.
	ParentID *int64
	Position *int
}

func (p *CategoryPatch) validate() error {
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
	if p.ParentID != nil && *p.ParentID < 0 {
		return fault.Field("parent_id", "The parent category %d does not exist.", *p.ParentID)
	}
	if p.Position != nil {
		return checkPosition(*p.Position)
	}
	return nil
}

// UpdateCategory renames, moves or reorders category id and returns it as
// it now is. A move rewrites the paths of the whole subtree and the
// listings of every product in it, in the same transaction.
func (c *Catalog) UpdateCategory(ctx context.Context, id int64, p CategoryPatch) (Category, error) {
	if err := p.validate(); err != nil {
		return Category{}, err
	}
	var out Category
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := txCategory(ctx, tx, id, c.forUpdate())
		if err != nil {
			return err
		}
		next := cur
		set(&next.Name, p.Name)
		set(&next.Slug, p.Slug)
		set(&next.Description, p.Description)
		set(&next.ParentID, p.ParentID)
		set(&next.Position, p.Position)
		out = next
		renamed := cur.Name != next.Name || cur.Slug != next.Slug || cur.Description != next.Description
		moved := cur.ParentID != next.ParentID
		if !renamed && !moved && cur.Position == next.Position {
			return nil
		}
		var parent any // NULL at the top level
		if next.ParentID != 0 {
			parent = next.ParentID
		}
		_, err = tx.ExecContext(ctx, `UPDATE categories SET name = $1, slug = $2, description = $3, position = $4, parent_id = $5
			WHERE id = $6`, next.Name, next.Slug, next.Description, next.Position, parent, id)
		if store.IsUniqueViolation(err) {
			return fault.Field("slug", "The slug %q is already used by another category.", next.Slug)
		}
		if store.IsForeignKeyViolation(err) {
			return fault.Field("parent_id", "The parent category %d does not exist.", next.ParentID)
		}
		if err != nil {
			return fmt.Errorf("catalog: update category %d: %w", id, err)
		}
		// Every page showing the tree or the navigation (the storefront's
		// pages all do) sees names, order and nesting: "categories".
		var tags cachehdr.Tags
		tags.Add(cachehdr.TagCategories)
		if renamed || moved {
			tags.Add(cachehdr.CategoryTag(id))
		}
		if moved {
			if out.Path, err = c.moveSubtree(ctx, tx, cur, next.ParentID, &tags); err != nil {
				return err
			}
		}
		return c.purge(ctx, tx, tags.List())
	})
	return out, err
}

// moveSubtree rewrites the paths under cat for its new parent, relists the
// products of the subtree, and adds the categories whose listings gained or
// lost them: the ancestors before or after the move, not both. It returns
// the category's new path.
func (c *Catalog) moveSubtree(ctx context.Context, tx *sql.Tx, cat Category, parentID int64, tags *cachehdr.Tags) ([]int64, error) {
	parentPath := "/"
	if parentID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT path FROM categories WHERE id = $1`, parentID).Scan(&parentPath); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, fault.Field("parent_id", "The parent category %d does not exist.", parentID)
			}
			return nil, fmt.Errorf("catalog: parent category: %w", err)
		}
	}
	oldPath := pathString(cat.Path)
	if strings.HasPrefix(parentPath, oldPath) {
		return nil, fault.Field("parent_id", "A category cannot move under itself or one of its subcategories.")
	}
	newPath := fmt.Sprintf("%s%d/", parentPath, cat.ID)
	if _, err := tx.ExecContext(ctx, `UPDATE categories SET path = CAST($1 AS TEXT) || substr(path, CAST($2 AS INTEGER))
		WHERE path LIKE CAST($3 AS TEXT) || '%'`, newPath, len(oldPath)+1, oldPath); err != nil {
		return nil, fmt.Errorf("catalog: move category %d: %w", cat.ID, err)
	}
	// The subtree's products, listed anew under the new ancestors.
	inSubtree := `SELECT pc.product_id FROM product_categories pc JOIN categories c ON c.id = pc.category_id
		WHERE c.path LIKE CAST($1 AS TEXT) || '%'`
	if _, err := tx.ExecContext(ctx, `DELETE FROM category_listing WHERE product_id IN (`+inSubtree+`)`, newPath); err != nil {
		return nil, fmt.Errorf("catalog: clear listings: %w", err)
	}
	res, err := tx.ExecContext(ctx, listingInsertSQL+` WHERE p.status = 'active' AND p.id IN (`+inSubtree+`)`, newPath)
	if err != nil {
		return nil, fmt.Errorf("catalog: relist subtree: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("catalog: relist subtree: %w", err)
	} else if n > 0 {
		before := slices.Sorted(slices.Values(cat.Path[:len(cat.Path)-1]))
		after := slices.Sorted(slices.Values(parsePath(parentPath)))
		addCategoryChanges(tags, before, after)
	}
	return parsePath(newPath), nil
}

// DeleteCategory removes category id, which must have no subcategories.
// Its products stay, unlinked from it and relisted without it.
func (c *Catalog) DeleteCategory(ctx context.Context, id int64) error {
	return c.db.InTx(ctx, func(tx *sql.Tx) error {
		cat, err := txCategory(ctx, tx, id, c.forUpdate())
		if err != nil {
			return err
		}
		var children int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM categories WHERE parent_id = $1`, id).Scan(&children); err != nil {
			return fmt.Errorf("catalog: subcategories of %d: %w", id, err)
		}
		if children > 0 {
			return fault.New(fault.Conflict, "The category %q has %d subcategories: move or delete them first.", cat.Name, children)
		}
		products, err := queryIDs(ctx, tx, "products of a category",
			`SELECT product_id FROM product_categories WHERE category_id = $1 ORDER BY product_id`, id)
		if err != nil {
			return err
		}
		before := make([][]int64, len(products))
		for i, pid := range products {
			if before[i], err = listedIn(ctx, tx, pid); err != nil {
				return err
			}
		}
		// Links and listing rows of the category go with it (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, `DELETE FROM categories WHERE id = $1`, id); err != nil {
			return fmt.Errorf("catalog: delete category %d: %w", id, err)
		}
		var tags cachehdr.Tags
		tags.Add(cachehdr.TagCategories, cachehdr.CategoryTag(id))
		for i, pid := range products {
			after, err := relist(ctx, tx, c.db.Dialect, pid)
			if err != nil {
				return err
			}
			if len(before[i]) > 0 { // active: its breadcrumb and listings change
				tags.Add(cachehdr.ProductTag(pid))
				addCategoryChanges(&tags, before[i], after)
			}
		}
		return c.purge(ctx, tx, tags.List())
	})
}

func txCategory(ctx context.Context, tx *sql.Tx, id int64, lock string) (Category, error) {
	var cat Category
	err := scanCategory(tx.QueryRowContext(ctx, `SELECT `+categoryColumns+` FROM categories WHERE id = $1`+lock, id), &cat)
	if errors.Is(err, sql.ErrNoRows) {
		return cat, fault.New(fault.NotFound, "There is no category with id %d.", id)
	}
	if err != nil {
		return cat, fmt.Errorf("catalog: category %d: %w", id, err)
	}
	return cat, nil
}
