package storefront

import (
	"net/http"
	"net/url"
	"strconv"

	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/page"
	"agora/internal/session"
)

type accountPage struct {
	layout
	Customer      customer.Customer
	Orders        []checkout.OrderSummary // one page, newest first
	OrdersTotal   int
	OrdersPager   pager
	Addresses     []customer.Address
	Form          form // the add-address form
	AddressFields []input
	AddressOpen   bool
	Notice        string
}

// accountPage serves GET /account: the customer's orders and addresses.
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.customerSession(w, r)
	if !ok {
		return
	}
	h.showAccount(w, r, s, http.StatusOK, form{Values: map[string]string{}})
}

// customerSession returns the session of a logged-in customer. Anyone else
// is sent to the login page, to come back here after; ok is false then and
// the response is written.
func (h *Handler) customerSession(w http.ResponseWriter, r *http.Request) (s *session.Session, ok bool) {
	s, err := h.currentSession(w, r)
	if err != nil {
		h.ServerError(w, r, err)
		return nil, false
	}
	if s == nil || s.CustomerID == 0 {
		back := "/account"
		if r.Method == http.MethodGet {
			back = r.URL.RequestURI()
		}
		page.SeeOther(w, r, "/account/login?next="+url.QueryEscape(back))
		return nil, false
	}
	return s, true
}

// showAccount renders the account page with f as the add-address form.
func (h *Handler) showAccount(w http.ResponseWriter, r *http.Request, s *session.Session, status int, f form) {
	ctx := r.Context()
	c, saved, err := h.customerOf(ctx, s)
	if err != nil {
		h.shopFail(w, r, err)
		return
	}
	data := accountPage{
		layout:        h.shopLayout(r, "Your account"),
		Customer:      c,
		Addresses:     saved,
		Form:          f,
		AddressFields: f.Fill(addressFields("", "", true, nil)),
		AddressOpen:   f.Message != "" || len(f.Errors) > 0 || len(saved) == 0,
	}
	if h.Checkout != nil {
		if err := h.accountOrders(r, c.ID, &data); err != nil {
			h.ServerError(w, r, err)
			return
		}
	}
	h.renderPrivate(w, r, status, "account", data)
}

// accountOrders fills data with the page of the customer's orders that
// ?page= names (1 when absent or not a number; the last when past it),
// and the links to the others (/account?page=N#orders).
func (h *Handler) accountOrders(r *http.Request, customerID int64, data *accountPage) error {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	per := h.OrdersPerPage
	if per <= 0 {
		per = 20
	}
	f := checkout.OrderFilter{CustomerID: customerID, Page: n, PerPage: per}
	list, err := h.Checkout.ListOrders(r.Context(), f)
	if err != nil {
		return err
	}
	pages := (list.Total + list.PerPage - 1) / list.PerPage
	if len(list.Orders) == 0 && list.Total > 0 { // past the end: the last page
		f.Page = pages
		if list, err = h.Checkout.ListOrders(r.Context(), f); err != nil {
			return err
		}
	}
	data.Orders, data.OrdersTotal = list.Orders, list.Total
	if pages <= 1 {
		return nil
	}
	urlFor := func(n int) string { return "/account?page=" + strconv.Itoa(n) + "#orders" }
	if list.Page > 1 {
		data.OrdersPager.Prev = urlFor(list.Page - 1)
	}
	if list.Page < pages {
		data.OrdersPager.Next = urlFor(list.Page + 1)
	}
	data.OrdersPager.Links = pageLinks(list.Page, list.Page, pages, urlFor)
	return nil
}
