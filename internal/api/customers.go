package api

import "net/http"

type registerRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// register serves POST /api/v1/customers: creates the account and logs it
// in (the guest cart comes along), answering 201 with the new session.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	var in registerRequest
	if err := decodeJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.Customers.Register(r.Context(), in.Email, in.Name, in.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSession(w, r, http.StatusCreated, c)
}
