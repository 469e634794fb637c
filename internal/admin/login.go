package admin

import (
	"cmp"
	"net/http"

	"agora/internal/clientaddr"
	"agora/internal/fault"
	"agora/internal/page"
)

// loginPage is the data of login.html.
type loginPage struct {
	layout
	Form   *form
	Fields []input
	Next   string
}

func loginFields(f *form) []input {
	return f.Fill([]input{
		{Name: "email", Label: "E-mail", Type: "email", MaxLen: 254, Required: true},
		{Name: "password", Label: "Password", Type: "password", MaxLen: 128, Required: true},
	})
}

// loginPage serves GET /admin/login; someone already signed in goes on.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := page.LocalPath(r.URL.Query().Get("next"), "/admin")
	if _, err := h.Staff.FromSession(r); err == nil {
		page.SeeOther(w, r, cmp.Or(next, "/admin/"))
		return
	}
	f := emptyForm()
	h.render(w, r, http.StatusOK, "login", loginPage{layout: h.newLayout(r, "Sign in", ""), Form: f, Fields: loginFields(f), Next: next})
}

// loginPost serves POST /admin/login. Whatever was wrong, the message is
// the same (staff.Authenticate sees to it, throttling included), so it tells
// nobody which addresses are staff.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f := newForm(r, "email", "next")
	next := page.LocalPath(f.Value("next"), "/admin")
	st, err := h.Staff.Authenticate(ctx, f.Value("email"), r.PostFormValue("password"), clientaddr.Of(r))
	if err == nil {
		err = h.Staff.Login(ctx, w, r, st.ID)
	}
	if err != nil {
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		// Never next to a field: that would tell which one was wrong.
		f.Message = fault.MessageOf(err)
		h.render(w, r, page.FormStatus(err), "login", loginPage{layout: h.newLayout(r, "Sign in", ""), Form: f, Fields: loginFields(f), Next: next})
		return
	}
	page.SeeOther(w, r, cmp.Or(next, "/admin/"))
}

// logoutPost serves POST /admin/logout.
func (h *Handler) logoutPost(w http.ResponseWriter, r *http.Request) {
	if err := h.Staff.Logout(r.Context(), w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	page.SeeOther(w, r, "/admin/login")
}
