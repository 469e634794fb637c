package api

import (
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

type adminCategoryJSON struct {
	ID          int64   `json:"id"`
	ParentID    int64   `json:"parent_id"` // 0 at the top level
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Position    int     `json:"position"`
	Path        []int64 `json:"path"` // ids from the root down to this one
}

func toAdminCategory(c catalog.Category) adminCategoryJSON {
	path := c.Path
	if path == nil {
		path = []int64{}
	}
	return adminCategoryJSON{ID: c.ID, ParentID: c.ParentID, Slug: c.Slug, Name: c.Name,
		Description: c.Description, Position: c.Position, Path: path}
}

type adminCategoriesJSON struct {
	Items []adminCategoryJSON `json:"items"` // depth first, siblings in order
}

// adminCategories serves GET /api/v1/admin/categories: the whole tree,
// flat, each parent before its children.
func (h *Handler) adminCategories(w http.ResponseWriter, r *http.Request) {
	roots, err := h.Catalog.Tree(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := adminCategoriesJSON{Items: []adminCategoryJSON{}}
	var walk func([]*catalog.Category)
	walk = func(cats []*catalog.Category) {
		for _, c := range cats {
			out.Items = append(out.Items, toAdminCategory(*c))
			walk(c.Children)
		}
	}
	walk(roots)
	writePrivate(w, http.StatusOK, out)
}

type newCategoryJSON struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	ParentID    int64  `json:"parent_id"`
	Position    int    `json:"position"`
}

// adminCreateCategory serves POST /api/v1/admin/categories.
func (h *Handler) adminCreateCategory(w http.ResponseWriter, r *http.Request) {
	var in newCategoryJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Catalog.CreateCategory(r.Context(), catalog.NewCategory{Name: in.Name, Slug: in.Slug,
		Description: in.Description, ParentID: in.ParentID, Position: in.Position})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "category created", "category_id", c.ID)
	w.Header().Set("Location", "/api/v1/admin/categories/"+strconv.FormatInt(c.ID, 10))
	writePrivate(w, http.StatusCreated, toAdminCategory(c))
}

type categoryPatchJSON struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
	ParentID    *int64  `json:"parent_id"`
	Position    *int    `json:"position"`
}

// adminPatchCategory serves PATCH /api/v1/admin/categories/{id}: rename,
// move (parent_id; 0 for the top level) or reorder (position).
func (h *Handler) adminPatchCategory(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "category")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in categoryPatchJSON
	if err := decodeAdmin(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Catalog.UpdateCategory(r.Context(), id, catalog.CategoryPatch{Name: in.Name, Slug: in.Slug,
		Description: in.Description, ParentID: in.ParentID, Position: in.Position})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "category updated", "category_id", id)
	writePrivate(w, http.StatusOK, toAdminCategory(c))
}

// adminDeleteCategory serves DELETE /api/v1/admin/categories/{id}: 204, or
// 409 while it has subcategories. Its products stay, without it.
func (h *Handler) adminDeleteCategory(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "category")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Catalog.DeleteCategory(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "category deleted", "category_id", id)
	cachehdr.SetPrivate(w.Header())
	w.WriteHeader(http.StatusNoContent)
}
