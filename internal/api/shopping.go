package api

import (
	"errors"
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/fault"
	"agora/internal/session"
)

// The shopping endpoints (DESIGN.md "Public JSON API", issue 3):
//
//	GET    /api/v1/session                        {customer:{id,email,name}|null, cart_count}
//	POST   /api/v1/session                        {email,password}: log in (new session id; the guest cart merges)
//	DELETE /api/v1/session                        log out
//	POST   /api/v1/customers                      {email,name,password}: register (202, the same for a known address; then log in)
//	GET    /api/v1/cart                           the cart (empty without a session; none is created)
//	POST   /api/v1/cart/items                     {variant_id,quantity}: add (creates the session)
//	PATCH  /api/v1/cart/items/{variant_id}        {quantity}: change (0 removes)
//	DELETE /api/v1/cart/items/{variant_id}        remove
//	GET    /api/v1/checkout/options               shipping and payment methods
//	POST   /api/v1/checkout                       + Idempotency-Key: place the order (201; the same key again: 200, same order)
//	GET    /api/v1/orders?page=&per_page=        the logged-in customer's orders, newest first (401 otherwise)
//	GET    /api/v1/orders/{number}                one order, for its customer or placing session only (404 otherwise)
//	POST   /api/v1/password-reset                 {email}: mail a reset link if the account exists (always 202)
//	POST   /api/v1/password-reset/{token}         {password}: set a new password and log in
//
// Bodies are JSON objects of at most MaxWriteBody bytes, sent with
// Content-Type application/json (else 415 "unsupported_media_type"); unknown
// fields, trailing data and type errors are 400 "invalid" naming the field; a
// larger body is 413 "too_large". Every answer is private, no-store: it is
// about one visitor, and an error must not be shared either.
//
// A missing, unknown, forged or expired session cookie is simply no session:
// reads answer as for a new visitor, and only adding to the cart, logging in
// or registering creates a session (so browsing never sets a cookie).

// registerShopping adds the routes whose services are set.
func (h *Handler) registerShopping(mux *http.ServeMux) {
	if h.Sessions == nil {
		return
	}
	if h.Customers != nil {
		mux.HandleFunc("GET /api/v1/session", h.getSession)
		mux.HandleFunc("POST /api/v1/session", h.login)
		mux.HandleFunc("DELETE /api/v1/session", h.logout)
		mux.HandleFunc("POST /api/v1/customers", h.register)
		mux.HandleFunc("POST /api/v1/password-reset", h.requestReset)
		mux.HandleFunc("POST /api/v1/password-reset/{token}", h.resetPassword)
	}
	if h.Carts != nil {
		mux.HandleFunc("GET /api/v1/cart", h.getCart)
		mux.HandleFunc("POST /api/v1/cart/items", h.addItem)
		mux.HandleFunc("PATCH /api/v1/cart/items/{variant_id}", h.setItem)
		mux.HandleFunc("DELETE /api/v1/cart/items/{variant_id}", h.removeItem)
	}
	if h.Checkout != nil {
		mux.HandleFunc("GET /api/v1/checkout/options", h.checkoutOptions)
		mux.HandleFunc("POST /api/v1/checkout", h.placeOrder)
		mux.HandleFunc("GET /api/v1/orders", h.listOrders)
		mux.HandleFunc("GET /api/v1/orders/{number}", h.order)
		if h.Stripe != nil {
			mux.HandleFunc("POST /api/v1/orders/{number}/payment", h.startPayment)
			mux.HandleFunc("GET /api/v1/orders/{number}/payment", h.getPayment)
			mux.HandleFunc("POST /api/v1/payments/stripe/webhook", h.stripeWebhook)
		}
	}
}

// visitor is who a request comes from. The zero value is a visitor with no
// session: no cookie, or one that is unknown, forged or expired.
type visitor struct {
	sessionHash string // "" without a session
	customerID  int64  // 0 for a guest
}

func (v visitor) hasSession() bool { return v.sessionHash != "" }

// cartOwner is whose cart the visitor sees: the customer's once logged in.
func (v visitor) cartOwner() cart.Owner {
	return cart.Owner{SessionHash: v.sessionHash, CustomerID: v.customerID}
}

// visitorOf looks up r's session; only a failing database is an error.
func (h *Handler) visitorOf(r *http.Request) (visitor, error) {
	s, err := h.Sessions.Lookup(r)
	switch {
	case fault.CodeOf(err) == fault.NotFound:
		return visitor{}, nil
	case err != nil:
		return visitor{}, err
	}
	return visitorFrom(s), nil
}

func visitorFrom(s *session.Session) visitor {
	return visitor{sessionHash: s.Hash, customerID: s.CustomerID}
}

// writePrivate answers v as private JSON.
func writePrivate(w http.ResponseWriter, status int, v any) {
	WriteJSON(w, status, cachehdr.Private, v)
}

// fail answers err privately: unlike the catalog's, a "not found" here is
// about one visitor (an order number, a cart line) and must not be cached.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnsupportedType) {
		writeErrorStatus(w, http.StatusUnsupportedMediaType, cachehdr.Private, "unsupported_media_type",
			"Send the body as JSON, with the header Content-Type: application/json.", "")
		return
	}
	code := fault.CodeOf(err)
	status := fault.Status(code)
	if status >= 500 {
		logFailure(r, h.log(), status, err)
	}
	writeErrorStatus(w, status, cachehdr.Private, string(code), fault.MessageOf(err), fault.FieldOf(err))
}
