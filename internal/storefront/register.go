package storefront

import (
	"cmp"
	"net/http"

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

// registerPage serves GET /account/register.
func (h *Handler) registerPage(w http.ResponseWriter, r *http.Request) {
	f := form{Values: map[string]string{}}
	data := authPage{layout: h.shopLayout(r, "Create an account"), Form: f, Fields: registerFields(f),
		Next: page.LocalPath(r.URL.Query().Get("next"), "/")}
	h.renderPrivate(w, r, http.StatusOK, "register", data)
}

// registerPost serves POST /account/register: creates the account and logs
// it in, taking the guest cart along.
func (h *Handler) registerPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f := page.NewForm(r, "name", "email", "next")
	next := page.LocalPath(f.Value("next"), "/")
	c, err := h.Customers.Register(ctx, f.Value("email"), f.Value("name"), r.PostFormValue("password"))
	if err == nil {
		err = h.login(ctx, w, r, c.ID)
	}
	if err != nil {
		if fault.CodeOf(err) == fault.Internal {
			h.ServerError(w, r, err)
			return
		}
		f.Fail(err, func(name string) bool { return name == "name" || name == "email" || name == "password" })
		data := authPage{layout: h.shopLayout(r, "Create an account"), Form: f, Fields: registerFields(f), Next: next}
		h.renderPrivate(w, r, page.FormStatus(err), "register", data)
		return
	}
	page.SeeOther(w, r, cmp.Or(next, "/account"))
}
