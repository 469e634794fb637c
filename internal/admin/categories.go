package admin

import (
	"cmp"
	"net/http"
	"strconv"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/page"
)

// The category page shows the tree, one row a category, each row its own
// form (name, slug, parent, position) with Save and Delete; a form at the
// bottom adds a category. Moving a category is choosing another parent;
// reordering is its position among its siblings.

type categoryRow struct {
	catalog.Category
	Depth   int
	Form    *form
	Parents []option // every category but itself and its subtree
}

type categoriesPage struct {
	layout
	Rows    []categoryRow
	New     *form
	Parents []option
}

var categoryNames = []string{"name", "slug", "parent_id", "position"}

// categories serves GET /admin/categories.
func (h *Handler) categories(w http.ResponseWriter, r *http.Request) {
	h.showCategories(w, r, http.StatusOK, 0, nil, nil)
}

// showCategories renders the page; failedID's row (or the new form, when
// failedID is 0 and newForm is set) shows failed's values and messages.
func (h *Handler) showCategories(w http.ResponseWriter, r *http.Request, status int, failedID int64, failed, newForm *form) {
	ctx := r.Context()
	tree, err := h.Catalog.Tree(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	all := []option{{Value: "0", Label: "(top level)"}}
	walkTree(tree, 0, func(c *catalog.Category, depth int) {
		all = append(all, option{Value: strconv.FormatInt(c.ID, 10), Label: indent(depth) + c.Name})
	})
	data := categoriesPage{layout: h.newLayout(r, "Categories", "categories"), New: newForm}
	walkTree(tree, 0, func(c *catalog.Category, depth int) {
		f := categoryFormOf(c)
		if c.ID == failedID && failed != nil {
			if len(failed.Values) == 0 { // a refused delete: the stored values
				failed.Values = f.Values
			}
			f = failed
		}
		row := categoryRow{Category: *c, Depth: depth, Form: f}
		sub := subtree(c)
		for _, o := range all {
			if id, _ := strconv.ParseInt(o.Value, 10, 64); !sub[id] {
				o.Selected = o.Value == f.Value("parent_id")
				row.Parents = append(row.Parents, o)
			}
		}
		data.Rows = append(data.Rows, row)
	})
	if data.New == nil {
		data.New = emptyForm()
	}
	data.Parents = selectOption(all, data.New.Value("parent_id"))
	h.render(w, r, status, "categories", data)
}

func indent(depth int) string {
	s := ""
	for range depth {
		s += "— "
	}
	return s
}

// subtree is the set of c and its descendants: a category cannot move
// under itself.
func subtree(c *catalog.Category) map[int64]bool {
	m := map[int64]bool{}
	walkTree([]*catalog.Category{c}, 0, func(d *catalog.Category, _ int) { m[d.ID] = true })
	return m
}

func categoryFormOf(c *catalog.Category) *form {
	f := emptyForm()
	f.Values["name"] = c.Name
	f.Values["slug"] = c.Slug
	f.Values["parent_id"] = strconv.FormatInt(c.ParentID, 10)
	f.Values["position"] = strconv.Itoa(c.Position)
	return f
}

// categoryInput reads a posted category form.
func categoryInput(r *http.Request) (f *form, parent int64, position int) {
	f = newForm(r, categoryNames...)
	parent, err := strconv.ParseInt(cmp.Or(f.Value("parent_id"), "0"), 10, 64)
	if err != nil || parent < 0 {
		f.Set("parent_id", "Choose a parent from the list.")
	}
	position, err = strconv.Atoi(cmp.Or(f.Value("position"), "0"))
	if err != nil || position < -1_000_000 || position > 1_000_000 {
		f.Set("position", "The position is a whole number; lower comes first.")
	}
	return f, parent, position
}

// categoryCreate serves POST /admin/categories.
func (h *Handler) categoryCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f, parent, position := categoryInput(r)
	if !f.Invalid() {
		_, err := h.Catalog.CreateCategory(r.Context(), catalog.NewCategory{ParentID: parent, Name: f.Value("name"),
			Slug: f.Value("slug"), Position: position})
		if err == nil {
			page.SeeOther(w, r, "/admin/categories?done=created")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, f.Has)
	}
	h.showCategories(w, r, http.StatusBadRequest, 0, nil, f)
}

// categorySave serves POST /admin/categories/{id}: rename, move, reorder.
func (h *Handler) categorySave(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r, "id")
	if !ok || !h.parsePost(w, r) {
		return
	}
	f, parent, position := categoryInput(r)
	if !f.Invalid() {
		name, slug := f.Value("name"), f.Value("slug")
		if slug == "" {
			slug = catalog.Slugify(name)
		}
		_, err := h.Catalog.UpdateCategory(r.Context(), id, catalog.CategoryPatch{Name: &name, Slug: &slug,
			ParentID: &parent, Position: &position})
		if err == nil {
			page.SeeOther(w, r, "/admin/categories?done=saved")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		if fault.CodeOf(err) == fault.NotFound {
			h.fail(w, r, err)
			return
		}
		f.Fail(err, f.Has)
	}
	h.showCategories(w, r, http.StatusBadRequest, id, f, nil)
}

// categoryDelete serves POST /admin/categories/{id}/delete; catalog refuses
// a category that still has subcategories.
func (h *Handler) categoryDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	err := h.Catalog.DeleteCategory(r.Context(), id)
	if err == nil {
		page.SeeOther(w, r, "/admin/categories?done=deleted")
		return
	}
	if isInternal(err) || fault.CodeOf(err) == fault.NotFound {
		h.fail(w, r, err)
		return
	}
	f := emptyForm()
	f.Message = fault.MessageOf(err)
	h.showCategories(w, r, page.FormStatus(err), id, f, nil)
}
