package storefront

import (
	"net/http"
	"slices"

	"agora/internal/fault"
	"agora/internal/page"
)

// addressAdd serves POST /account/addresses.
func (h *Handler) addressAdd(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	s, ok := h.customerSession(w, r)
	if !ok {
		return
	}
	names := addressNames("")
	f := page.NewForm(r, names...)
	if _, err := h.Customers.AddAddress(r.Context(), s.CustomerID, addressFrom(f, "")); err != nil {
		if fault.CodeOf(err) == fault.Internal {
			h.ServerError(w, r, err)
			return
		}
		f.Fail(err, func(name string) bool { return slices.Contains(names, name) })
		h.showAccount(w, r, s, page.FormStatus(err), f)
		return
	}
	page.SeeOther(w, r, "/account#addresses")
}

// addressDelete serves POST /account/addresses/{id}/delete. Another
// customer's address is "not found", like one that does not exist.
func (h *Handler) addressDelete(w http.ResponseWriter, r *http.Request) {
	s, ok := h.customerSession(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		h.privateNotFound(w, r)
		return
	}
	if err := h.Customers.DeleteAddress(r.Context(), s.CustomerID, id); err != nil {
		h.shopFail(w, r, err)
		return
	}
	page.SeeOther(w, r, "/account#addresses")
}
