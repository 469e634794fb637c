package storefront

import (
	"net/http"

	"agora/internal/clientaddr"
	"agora/internal/fault"
	"agora/internal/page"
)

type resetPage struct {
	authPage
	Sent bool
}

func resetFields(f form) []input {
	return f.Fill([]input{{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: 254, Required: true}})
}

// resetPage serves GET /account/reset: the request form, or, after it was
// sent (?sent=1), the one message every address gets.
func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) {
	f := form{Values: map[string]string{}}
	data := resetPage{
		authPage: authPage{layout: h.shopLayout(r, "Reset your password"), Form: f, Fields: resetFields(f)},
		Sent:     r.URL.Query().Get("sent") != "",
	}
	h.renderPrivate(w, r, http.StatusOK, "reset", data)
}

// resetPost serves POST /account/reset. Known or not, the address gets the
// same answer (customer.RequestPasswordReset returns nil for both), so the
// page tells nobody who has an account. The link is built on the
// configured public URL only (customer.Service.PublicURL): a Host header is
// the client's to choose, and a reset link must not point anywhere else.
func (h *Handler) resetPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := page.NewForm(r, "email")
	err := h.Customers.RequestPasswordReset(r.Context(), f.Value("email"), clientaddr.Of(r))
	if err != nil {
		// Unavailable: the store cannot send the link (no public URL);
		// the operator learns it from the log, the shopper gets 500.
		if c := fault.CodeOf(err); c == fault.Internal || c == fault.Unavailable {
			h.ServerError(w, r, err)
			return
		}
		f.Fail(err, func(name string) bool { return name == "email" })
		data := resetPage{authPage: authPage{layout: h.shopLayout(r, "Reset your password"), Form: f, Fields: resetFields(f)}}
		h.renderPrivate(w, r, page.FormStatus(err), "reset", data)
		return
	}
	page.SeeOther(w, r, "/account/reset?sent=1")
}

func newPasswordFields(f form) []input {
	return f.Fill([]input{{Name: "password", Label: "New password", Type: "password", Autocomplete: "new-password",
		MinLen: 10, MaxLen: 128, Required: true, Hint: "At least 10 characters."}})
}

// newPasswordPage serves GET /account/reset/{token}. The token is checked
// when the form is sent: checking it here would need a second way to look
// it up, for no gain.
func (h *Handler) newPasswordPage(w http.ResponseWriter, r *http.Request) {
	f := form{Values: map[string]string{}}
	h.renderPrivate(w, r, http.StatusOK, "newpassword", h.newPasswordData(r, f))
}

func (h *Handler) newPasswordData(r *http.Request, f form) authPage {
	return authPage{
		layout: h.shopLayout(r, "Choose a new password"),
		Form:   f, Fields: newPasswordFields(f),
		Action: "/account/reset/" + r.PathValue("token"),
	}
}

// newPasswordPost serves POST /account/reset/{token}. Success logs out
// every session of the customer (customer.ResetPassword), so the shopper
// logs in again with the new password.
func (h *Handler) newPasswordPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := form{Values: map[string]string{}}
	_, err := h.Customers.ResetPassword(r.Context(), r.PathValue("token"), r.PostFormValue("password"))
	if err != nil {
		if fault.CodeOf(err) == fault.Internal {
			h.ServerError(w, r, err)
			return
		}
		data := h.newPasswordData(r, f)
		if fault.FieldOf(err) == "token" {
			data.BadToken = fault.MessageOf(err)
		} else {
			f.Fail(err, func(name string) bool { return name == "password" })
			data.Form, data.Fields = f, newPasswordFields(f)
		}
		h.renderPrivate(w, r, page.FormStatus(err), "newpassword", data)
		return
	}
	page.SeeOther(w, r, "/account/login?reset=done")
}
