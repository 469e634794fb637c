package admin

import (
	"net/url"
	"strconv"
)

// maxPage bounds page numbers so OFFSET stays sane.
const maxPage = 10000

// pager is the previous/next navigation of a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // URLs, "" at the ends
}

// newPager keeps the list's other query parameters in its links.
func newPager(u *url.URL, page, perPage, total int) pager {
	p := pager{Page: page, Total: total, Pages: max(1, (total+perPage-1)/perPage)}
	link := func(n int) string {
		q := u.Query()
		q.Del("done")
		if n <= 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(n))
		}
		if enc := q.Encode(); enc != "" {
			return u.Path + "?" + enc
		}
		return u.Path
	}
	if page > 1 {
		p.Prev = link(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// pageNumber reads ?page=, defaulting to 1 for anything unusable.
func pageNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}
