package api

import (
	"net/http"

	"agora/internal/clientaddr"
)

type registerRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// registered is the one answer to every valid registration.
const registered = "Thank you. We have sent a message to this address: if it is new here, your account is ready and you can log in with your password."

// register serves POST /api/v1/customers. A valid request gets the same 202
// whether or not the address already has an account, and logs nobody in
// (customer.SignUp: the address's owner learns the rest by mail), so the
// answer tells nobody who has an account. The client logs in next, with
// POST /api/v1/session, which brings the guest cart along. Invalid input
// gives 400 with the field; too many sign-ups from one address 429.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	var in registerRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.Customers.SignUp(r.Context(), in.Email, in.Name, in.Password, clientaddr.Of(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	writePrivate(w, http.StatusAccepted, acceptedJSON{Message: registered})
}
