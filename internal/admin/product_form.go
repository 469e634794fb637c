package admin

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"agora/internal/catalog"
)

// The product form is shared by the new and edit pages. Its inputs are
// named as catalog names its fields (name, slug, category_ids…), so
// catalog's field errors land next to them.

var productNames = []string{"name", "slug", "brand", "status", "featured", "description", "attributes"}

func productFields(f *form) []input {
	return f.Fill([]input{
		{Name: "name", Label: "Name", Required: true, MaxLen: catalog.MaxNameLen, Class: "full"},
		{Name: "slug", Label: "Slug", MaxLen: catalog.MaxSlugLen, Hint: "The address: /products/slug. Empty: made from the name."},
		{Name: "brand", Label: "Brand", MaxLen: catalog.MaxNameLen},
		{Name: "status", Label: "Status", Type: "select", Required: true, Options: slices.Clone(productStatuses),
			Hint: "Drafts and archived products are hidden from shoppers."},
		{Name: "featured", Label: "Featured on the home page", Type: "checkbox"},
		{Name: "description", Label: "Description", Type: "textarea", MaxLen: catalog.MaxDescriptionLen, Class: "full"},
		{Name: "attributes", Label: "Attributes", Type: "textarea", Class: "full", Placeholder: "Material: Cotton\nOrigin: Portugal",
			Hint: fmt.Sprintf("One Name: Value a line, shown under Details on the product page and offered as filters. At most %d.", catalog.MaxAttributes)},
	})
}

// catChoice is one checkbox of the category list, indented by depth.
type catChoice struct {
	ID      int64
	Name    string
	Depth   int
	Checked bool
}

// categoryChoices is the tree as checkboxes, the given ids ticked.
func (h *Handler) categoryChoices(ctx context.Context, checked []int64) ([]catChoice, error) {
	tree, err := h.Catalog.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []catChoice
	walkTree(tree, 0, func(c *catalog.Category, depth int) {
		out = append(out, catChoice{ID: c.ID, Name: c.Name, Depth: depth, Checked: slices.Contains(checked, c.ID)})
	})
	return out, nil
}

// postedIDs reads a repeated id field (category_ids); junk is skipped,
// since only checkboxes with ids we rendered post it.
func postedIDs(r *http.Request, name string) []int64 {
	var ids []int64
	for _, v := range r.PostForm[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// productFormOf is the form filled from a stored product.
func productFormOf(p *catalog.Product) *form {
	f := emptyForm()
	f.Values["name"] = p.Name
	f.Values["slug"] = p.Slug
	f.Values["brand"] = p.Brand
	f.Values["status"] = p.Status
	f.Values["description"] = p.Description
	f.Values["attributes"] = formatAttributes(p.Attributes)
	if p.Featured {
		f.Values["featured"] = "on"
	}
	return f
}
