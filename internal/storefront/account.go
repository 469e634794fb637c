package storefront

import (
	"net/http"
	"net/url"

	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/page"
	"agora/internal/session"
)

type accountPage struct {
	layout
	Customer      customer.Customer
	Orders        []checkout.Order
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
		if data.Orders, err = h.Checkout.CustomerOrders(ctx, c.ID); err != nil {
			h.ServerError(w, r, err)
			return
		}
	}
	h.renderPrivate(w, r, status, "account", data)
}
