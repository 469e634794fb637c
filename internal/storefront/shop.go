package storefront

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/fault"
	"agora/internal/page"
	"agora/internal/session"
)

// The shopping pages (cart, checkout, orders, accounts) are about one
// visitor: every answer is cachehdr.Private, including their error pages,
// and every successful POST redirects (Post/Redirect/Get) so a reload never
// repeats it.

// shopLayout is the frame of a private page: no canonical URL, not indexed.
func (h *Handler) shopLayout(r *http.Request, title string) layout {
	l := h.newLayout(r, title, "", "")
	l.Robots = "noindex, nofollow"
	return l
}

// renderPrivate renders a shopping page.
func (h *Handler) renderPrivate(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	h.render(w, r, status, page, data, cachehdr.Private)
}

// shopFail answers a shopping request that failed outside any form: the
// error pages, all private. A 404 here must not be kept by the edge the way
// the public one is (cachehdr.NotFound): an order page is "not found" for
// everyone but its owner.
func (h *Handler) shopFail(w http.ResponseWriter, r *http.Request, err error) {
	switch fault.CodeOf(err) {
	case fault.NotFound:
		h.privateNotFound(w, r)
	case fault.Internal, fault.Unavailable:
		h.ServerError(w, r, err)
	default:
		h.BadRequest(w, r, err)
	}
}

// privateNotFound is the 404 page, never stored by a cache.
func (h *Handler) privateNotFound(w http.ResponseWriter, r *http.Request) {
	data := errorPage{
		layout:     h.shopLayout(r, "Page not found"),
		Status:     http.StatusNotFound,
		Heading:    "We couldn't find that page",
		Message:    "The product or page you are looking for may have moved or is no longer sold. Try a search:",
		ShowSearch: true,
	}
	h.renderPrivate(w, r, http.StatusNotFound, "error", data)
}

// parsePost reads a POST's form, answering 413 or 400 itself when the
// body is too large (the app's MaxBytesReader) or malformed: r.PostFormValue
// alone would hide that as empty fields.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	switch page.ReadForm(r) {
	case 0:
		return true
	case http.StatusRequestEntityTooLarge:
		data := errorPage{
			layout:  h.shopLayout(r, "Too much data"),
			Status:  http.StatusRequestEntityTooLarge,
			Heading: "That was more than we can take",
			Message: "The form sent far more data than it could hold. Please go back and try again.",
		}
		h.renderPrivate(w, r, http.StatusRequestEntityTooLarge, "error", data)
	default:
		h.BadRequest(w, r, fault.New(fault.Invalid, "The form could not be read. Please go back and try again."))
	}
	return false
}

// currentSession returns the visitor's session, or nil when there is none
// (no cookie, expired, forged): reading a page never creates one.
func (h *Handler) currentSession(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	s, err := h.Sessions.Lookup(r)
	if fault.CodeOf(err) == fault.NotFound {
		return nil, nil
	}
	return s, err
}

// ownerOf is the cart a session shops with: the customer's once logged in.
func ownerOf(s *session.Session) cart.Owner {
	if s == nil {
		return cart.Owner{}
	}
	return cart.Owner{SessionHash: s.Hash, CustomerID: s.CustomerID}
}

// now is the clock of the shopping pages: the cart service's, so tests
// that inject one see merges at their time.
func (h *Handler) now() time.Time {
	if h.Carts != nil && h.Carts.Now != nil {
		return h.Carts.Now().UTC()
	}
	return time.Now().UTC()
}

// form, input and option are the shared page forms (package page).
type (
	form   = page.Form
	input  = page.Input
	option = page.Option
)

// newKey returns 128 random bits as hex: the checkout form's idempotency
// key, one per rendering, so a double submit places one order.
func newKey() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}
