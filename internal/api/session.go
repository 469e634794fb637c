package api

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"agora/internal/cart"
	"agora/internal/clientaddr"
	"agora/internal/customer"
	"agora/internal/fault"
)

// sessionJSON is what GET /api/v1/session answers: the header's greeting
// and cart count (DESIGN.md "Private content on cached pages").
type sessionJSON struct {
	Customer  *customerJSON `json:"customer"` // null for a guest
	CartCount int           `json:"cart_count"`
}

type customerJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func toCustomerJSON(c customer.Customer) *customerJSON {
	return &customerJSON{ID: c.ID, Email: c.Email, Name: c.Name}
}

// getSession serves GET /api/v1/session. It never creates a session.
func (h *Handler) getSession(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitorOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := sessionJSON{}
	if v.customerID != 0 {
		c, err := h.Customers.ByID(r.Context(), v.customerID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.Customer = toCustomerJSON(c)
	}
	if out.CartCount, err = h.cartCount(r.Context(), v); err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, out)
}

func (h *Handler) cartCount(ctx context.Context, v visitor) (int, error) {
	if h.Carts == nil || !v.hasSession() {
		return 0, nil
	}
	return h.Carts.Count(ctx, v.cartOwner())
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login serves POST /api/v1/session. Failures are rate limited per account
// and per client address by customer.Authenticate (429 rate_limited).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Customers.Authenticate(r.Context(), in.Email, in.Password, clientaddr.Of(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSession(w, r, http.StatusOK, c)
}

// startSession logs c in under a new session id (no fixation), merging
// the guest cart of the old session into c's cart in the same transaction,
// and answers the new session.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, status int, c customer.Customer) {
	ctx := r.Context()
	merge := func(tx *sql.Tx, oldHash, newHash string) error {
		if oldHash == "" || h.Carts == nil {
			return nil
		}
		return cart.MergeTx(ctx, tx, oldHash, c.ID, h.cartNow())
	}
	s, err := h.Sessions.Login(ctx, w, r, c.ID, merge)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := sessionJSON{Customer: toCustomerJSON(c)}
	if out.CartCount, err = h.cartCount(ctx, visitorFrom(s)); err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, status, out)
}

func (h *Handler) cartNow() time.Time {
	if h.Carts != nil && h.Carts.Now != nil {
		return h.Carts.Now().UTC()
	}
	return time.Now().UTC()
}

// logout serves DELETE /api/v1/session; without a session it is a no-op.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.Sessions.Logout(r.Context(), w, r); err != nil && fault.CodeOf(err) != fault.NotFound {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusOK, sessionJSON{})
}
