package storefront

import (
	"strings"

	"agora/internal/catalog"
)

// crumb is one step of a breadcrumb; the last has no URL.
type crumb struct {
	Name string
	URL  string
}

// breadcrumbs is the trail to a page: the front page, then steps. The
// front page's crumb reads "Home", as shoppers know it, unless a step is
// itself named "Home" (a category of household goods): then it reads the
// store's name, so the trail never says "Home › Home › Kitchen" (issue 9)
// and the category keeps its own name.
func (h *Handler) breadcrumbs(steps ...crumb) []crumb {
	root := crumb{Name: "Home", URL: "/"}
	for _, s := range steps {
		if strings.EqualFold(strings.TrimSpace(s.Name), root.Name) {
			root.Name = h.storeName()
			break
		}
	}
	return append([]crumb{root}, steps...)
}

// categoryCrumbs links every category on the path but the current one.
func categoryCrumbs(path []catalog.Category, current int64) []crumb {
	out := make([]crumb, 0, len(path))
	for _, c := range path {
		cr := crumb{Name: c.Name}
		if c.ID != current {
			cr.URL = "/categories/" + c.Slug
		}
		out = append(out, cr)
	}
	return out
}
