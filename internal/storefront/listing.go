package storefront

import (
	"net/url"
	"strconv"
	"strings"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// listParams are a listing's query parameters, validated.
type listParams struct {
	Page    int          // 1-based
	PerPage int          // 0: catalog.DefaultPerPage
	Sort    catalog.Sort // never ""
	Filters catalog.Filters
}

// parseListParams reads page, sort and per_page. Malformed values are
// errors (a 400 page that names them) rather than silently replaced, so a
// broken link is noticed; per_page above catalog.MaxPerPage (100) is
// clamped to it instead, since asking for "everything" is a reasonable wish
// that we merely bound.
func parseListParams(q url.Values) (listParams, error) {
	p := listParams{Page: 1, Sort: catalog.SortRelevance}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fault.Field("page", "The page number must be a whole number of 1 or more, not %q.", truncate(v, 20))
		}
		if n > catalog.MaxPage {
			return p, fault.Field("page", "Page numbers go up to %d.", catalog.MaxPage)
		}
		p.Page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil && isAllDigits(v) {
			n = catalog.MaxPerPage // too many digits for an int: clamped anyway
		} else if err != nil || n < 1 {
			return p, fault.Field("per_page", "The number of products per page must be a whole number from 1 to %d, not %q.", catalog.MaxPerPage, truncate(v, 20))
		}
		p.PerPage = min(n, catalog.MaxPerPage)
	}
	if v := q.Get("sort"); v != "" {
		p.Sort = catalog.Sort(v)
		if sortLabel(p.Sort) == "" {
			names := make([]string, len(catalog.Sorts))
			for i, s := range catalog.Sorts {
				names[i] = string(s)
			}
			return p, fault.Field("sort", "Unknown sort order %q: use one of %s.", truncate(v, 30), strings.Join(names, ", "))
		}
	}
	return p, nil
}

func isAllDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// sortLabel is the menu text of a sort, or "" for an unknown one.
func sortLabel(s catalog.Sort) string {
	switch s {
	case catalog.SortRelevance:
		return "Relevance"
	case catalog.SortPriceAsc:
		return "Price: low to high"
	case catalog.SortPriceDesc:
		return "Price: high to low"
	case catalog.SortNewest:
		return "Newest"
	case catalog.SortName:
		return "Name: A to Z"
	}
	return ""
}

// listURL builds the URL of one page of a listing. Parameters appear in a
// fixed order and defaults are left out, so each page has exactly one URL
// (one cache entry at the edge).
func listURL(path string, query string, p listParams, page int, keepPerPage bool) string {
	v := make([]string, 0, 4)
	if query != "" {
		v = append(v, "q="+url.QueryEscape(query))
	}
	v = append(v, p.Filters.Encode()...)
	if p.Sort != catalog.SortRelevance {
		v = append(v, "sort="+url.QueryEscape(string(p.Sort)))
	}
	if keepPerPage && p.PerPage != 0 && p.PerPage != catalog.DefaultPerPage {
		v = append(v, "per_page="+strconv.Itoa(p.PerPage))
	}
	if page > 1 {
		v = append(v, "page="+strconv.Itoa(page))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + strings.Join(v, "&")
}

// listing is the data of the "listing" template.
type listing struct {
	Result    catalog.ListResult
	Sort      sortMenu
	Pager     pager
	PastEnd   bool   // page is beyond the last one
	FirstPage string // URL of page 1
	EmptyText string // shown when the listing has no products at all
}

type sortMenu struct {
	Action  string
	Hidden  []field
	Options []sortOption
}

type field struct{ Name, Value string }

type sortOption struct {
	Value    string
	Label    string
	Selected bool
}

type pager struct {
	Prev, Next string // "" when there is none
	Links      []pageLink
}

type pageLink struct {
	Number  int
	URL     string
	Current bool
	Gap     bool // an ellipsis between distant numbers
}

// pageWindow is how many numbers the pager shows either side of the
// current page, besides the first and the last.
const pageWindow = 2

// newListing assembles the toolbar, pager and empty states of a result.
func newListing(path, query string, p listParams, res catalog.ListResult, emptyText string) listing {
	l := listing{
		Result:    res,
		FirstPage: listURL(path, query, p, 1, true),
		EmptyText: emptyText,
	}
	pages := res.Pages()
	l.PastEnd = len(res.Items) == 0 && res.Total > 0 && p.Page > pages

	l.Sort.Action = path
	if query != "" {
		l.Sort.Hidden = append(l.Sort.Hidden, field{"q", query})
	}
	for _, kv := range p.Filters.Encode() {
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		l.Sort.Hidden = append(l.Sort.Hidden, field{k, v})
	}
	if p.PerPage != 0 && p.PerPage != catalog.DefaultPerPage {
		l.Sort.Hidden = append(l.Sort.Hidden, field{"per_page", strconv.Itoa(p.PerPage)})
	}
	for _, s := range catalog.Sorts {
		l.Sort.Options = append(l.Sort.Options, sortOption{string(s), sortLabel(s), s == p.Sort})
	}

	if pages <= 1 && !l.PastEnd {
		return l
	}
	cur := min(p.Page, pages)
	if !l.PastEnd {
		if p.Page > 1 {
			l.Pager.Prev = listURL(path, query, p, p.Page-1, true)
		}
		if p.Page < pages || p.Page == pages && res.MoreThanTotal {
			l.Pager.Next = listURL(path, query, p, p.Page+1, true)
		}
	}
	l.Pager.Links = pageLinks(cur, p.Page, pages, func(n int) string { return listURL(path, query, p, n, true) })
	return l
}

// pageLinks numbers pages 1 to pages around cur (pageWindow either side,
// the first and the last, gaps between), marking page current.
func pageLinks(cur, page, pages int, urlFor func(n int) string) []pageLink {
	var links []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n > 1 && n < cur-pageWindow {
			n = cur - pageWindow // skip the numbers hidden behind the gap
		}
		if n > cur+pageWindow && n < pages {
			n = pages
		}
		if last != 0 && n > last+1 {
			links = append(links, pageLink{Gap: true})
		}
		links = append(links, pageLink{Number: n, URL: urlFor(n), Current: n == page})
		last = n
	}
	return links
}
