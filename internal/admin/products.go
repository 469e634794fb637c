package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"agora/internal/catalog"
)

const productsPerPage = 50

// productStatuses are the statuses a product may have, for filters and
// the edit form.
var productStatuses = []option{{Value: "active", Label: "Active"}, {Value: "draft", Label: "Draft"}, {Value: "archived", Label: "Archived"}}

type productsPage struct {
	layout
	Query      string
	Statuses   []option
	Categories []option
	Result     catalog.ListResult
	Thumbs     thumbs
	Pager      pager
}

// products serves GET /admin/products?q=&status=&category=&page=: every
// product whatever its status.
func (h *Handler) products(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	q := catalog.AdminQuery{Query: strings.TrimSpace(v.Get("q")), Status: v.Get("status"),
		Page: pageNumber(v.Get("page")), PerPage: productsPerPage}
	if !validProductStatus(q.Status) {
		q.Status = ""
	}
	q.CategoryID, _ = strconv.ParseInt(v.Get("category"), 10, 64)
	res, err := h.Catalog.AdminList(ctx, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cats, err := h.categoryOptions(ctx, "Any category")
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := productsPage{layout: h.newLayout(r, "Products", "products"), Query: q.Query, Result: res,
		Categories: selectOption(cats, strconv.FormatInt(q.CategoryID, 10)),
		Pager:      newPager(r.URL, q.Page, productsPerPage, res.Total)}
	keys := make([]string, 0, len(res.Items))
	for _, it := range res.Items {
		if it.ImageKey != "" {
			keys = append(keys, it.ImageKey)
		}
	}
	if data.Thumbs, err = h.thumbs(ctx, keys); err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Statuses = selectOption(append([]option{{Value: "", Label: "Any status"}}, productStatuses...), q.Status)
	h.render(w, r, http.StatusOK, "products", data)
}

func validProductStatus(s string) bool {
	for _, o := range productStatuses {
		if o.Value == s {
			return true
		}
	}
	return false
}

// selectOption marks the option with value v selected (on a copy).
func selectOption(opts []option, v string) []option {
	out := make([]option, len(opts))
	for i, o := range opts {
		o.Selected = o.Value == v
		out[i] = o
	}
	return out
}

// categoryOptions is the category tree flattened for a select, each name
// indented by its depth; first is the label of the "none" option (value 0).
func (h *Handler) categoryOptions(ctx context.Context, first string) ([]option, error) {
	tree, err := h.Catalog.Tree(ctx)
	if err != nil {
		return nil, err
	}
	opts := []option{{Value: "0", Label: first}}
	walkTree(tree, 0, func(c *catalog.Category, depth int) {
		opts = append(opts, option{Value: strconv.FormatInt(c.ID, 10), Label: strings.Repeat("— ", depth) + c.Name})
	})
	return opts, nil
}

// walkTree visits categories depth first, in their order.
func walkTree(nodes []*catalog.Category, depth int, fn func(c *catalog.Category, depth int)) {
	for _, c := range nodes {
		fn(c, depth)
		walkTree(c.Children, depth+1, fn)
	}
}
