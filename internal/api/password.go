package api

import (
	"agora/internal/clientaddr"
	"net/http"
)

type resetRequest struct {
	Email string `json:"email"`
}

type acceptedJSON struct {
	Message string `json:"message"`
}

// requestReset serves POST /api/v1/password-reset. The answer is the same
// 202 whether or not the address has an account (no enumeration); only a
// malformed address is refused. The link in the mail names the configured
// public URL (customer.Service.PublicURL), never the request's Host.
func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	var in resetRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Customers.RequestPasswordReset(r.Context(), in.Email, clientaddr.Of(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusAccepted, acceptedJSON{
		Message: "If an account exists for this email address, a link to reset its password is on its way."})
}

type newPasswordRequest struct {
	Password string `json:"password"`
}

// resetPassword serves POST /api/v1/password-reset/{token}: sets the new
// password (which logs out every session of the account) and logs in here.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	var in newPasswordRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Customers.ResetPassword(r.Context(), r.PathValue("token"), in.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSession(w, r, http.StatusOK, c)
}
