package storefront

import (
	"net/http"
	"net/url"

	"agora/internal/clientaddr"
	"agora/internal/fault"
	"agora/internal/page"
)

func registerFields(f form) []input {
	return f.Fill([]input{
		{Name: "name", Label: "Your name", Autocomplete: "name", MaxLen: 200, Required: true},
		{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "email", MaxLen: 254, Required: true},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "new-password", MinLen: 10, MaxLen: 128, Required: true,
			Hint: "At least 10 characters. A few unrelated words make a strong one."},
	})
}

// registerPage serves GET /account/register: the form, or, after it was
// sent (?sent=1), the one message every valid registration gets.
func (h *Handler) registerPage(w http.ResponseWriter, r *http.Request) {
	f := form{Values: map[string]string{}}
	data := authPage{layout: h.shopLayout(r, "Create an account"), Form: f, Fields: registerFields(f),
		Next: page.LocalPath(r.URL.Query().Get("next"), "/")}
	if r.URL.Query().Get("sent") != "" {
		data.Notice = "Thank you. We have sent a message to your e-mail address. " +
			"If it is new here, your account is ready: log in with the password you chose."
	}
	h.renderPrivate(w, r, http.StatusOK, "register", data)
}

// registerPost serves POST /account/register. A known address gets the same
// answer as a new one (customer.SignUp mails its owner instead), and
// neither is logged in, so the page tells nobody who has an account; the
// shopper logs in next, and the guest cart comes along then.
func (h *Handler) registerPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := page.NewForm(r, "name", "email", "next")
	next := page.LocalPath(f.Value("next"), "/")
	err := h.Customers.SignUp(r.Context(), f.Value("email"), f.Value("name"), r.PostFormValue("password"), clientaddr.Of(r))
	if err != nil {
		if c := fault.CodeOf(err); c == fault.Internal || c == fault.Unavailable {
			h.ServerError(w, r, err)
			return
		}
		f.Fail(err, func(name string) bool { return name == "name" || name == "email" || name == "password" })
		data := authPage{layout: h.shopLayout(r, "Create an account"), Form: f, Fields: registerFields(f), Next: next}
		h.renderPrivate(w, r, page.FormStatus(err), "register", data)
		return
	}
	target := "/account/register?sent=1"
	if next != "" {
		target += "&next=" + url.QueryEscape(next)
	}
	page.SeeOther(w, r, target)
}
