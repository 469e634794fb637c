package api

import (
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
)

// TagCategories marks every response that shows the category tree.
const TagCategories = cachehdr.TagCategories

type categoryJSON struct {
	ID       int64          `json:"id"`
	Slug     string         `json:"slug"`
	Name     string         `json:"name"`
	Children []categoryJSON `json:"children"`
}

// categories serves GET /api/v1/categories: the tree, roots and children
// in merchandising order.
func (h *Handler) categories(w http.ResponseWriter, r *http.Request) {
	roots, err := h.Catalog.Tree(r.Context())
	if err != nil {
		WriteError(w, r, h.Log, err)
		return
	}
	var tags cachehdr.Tags
	tags.Add(TagCategories)
	WriteJSON(w, http.StatusOK, cachehdr.API, categoryTree(roots, &tags), tags.List()...)
}

func categoryTree(cats []*catalog.Category, tags *cachehdr.Tags) []categoryJSON {
	out := make([]categoryJSON, len(cats))
	for i, c := range cats {
		tags.Add(cachehdr.CategoryTag(c.ID))
		out[i] = categoryJSON{ID: c.ID, Slug: c.Slug, Name: c.Name, Children: categoryTree(c.Children, tags)}
	}
	return out
}
