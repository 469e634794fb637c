package storefront

import (
	"cmp"
	"context"
	"database/sql"
	"net/http"

	"agora/internal/cart"
	"agora/internal/clientaddr"
	"agora/internal/fault"
	"agora/internal/page"
)

// authPage is the data of the login, register and password pages.
type authPage struct {
	layout
	Form   form
	Fields []input
	Next   string // where to go after logging in, a local path
	Notice string
	// For the new-password page:
	Action   string
	BadToken string
}

func loginFields(f form) []input {
	return f.Fill([]input{
		{Name: "email", Label: "E-mail", Type: "email", Autocomplete: "username", MaxLen: 254, Required: true},
		{Name: "password", Label: "Password", Type: "password", Autocomplete: "current-password", MaxLen: 128, Required: true},
	})
}

// loginPage serves GET /account/login; a logged-in customer goes on.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := page.LocalPath(r.URL.Query().Get("next"), "/")
	if s, err := h.currentSession(w, r); err == nil && s != nil && s.CustomerID != 0 {
		page.SeeOther(w, r, cmp.Or(next, "/account"))
		return
	}
	f := form{Values: map[string]string{}}
	data := authPage{layout: h.shopLayout(r, "Log in"), Form: f, Fields: loginFields(f), Next: next}
	if r.URL.Query().Get("reset") == "done" {
		data.Notice = "Your password has been changed. Log in with the new one."
	}
	h.renderPrivate(w, r, http.StatusOK, "login", data)
}

// loginPost serves POST /account/login. Whatever was wrong, the message is
// the same (customer.Authenticate sees to it), so it tells nobody which
// addresses have accounts.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	ctx := r.Context()
	f := page.NewForm(r, "email", "next")
	next := page.LocalPath(f.Value("next"), "/")
	c, err := h.Customers.Authenticate(ctx, f.Value("email"), r.PostFormValue("password"), clientaddr.Of(r))
	if err == nil {
		err = h.login(ctx, w, r, c.ID)
	}
	if err != nil {
		if fault.CodeOf(err) == fault.Internal {
			h.ServerError(w, r, err)
			return
		}
		f.Fail(err, func(name string) bool { return name == "email" || name == "password" })
		data := authPage{layout: h.shopLayout(r, "Log in"), Form: f, Fields: loginFields(f), Next: next}
		h.renderPrivate(w, r, page.FormStatus(err), "login", data)
		return
	}
	page.SeeOther(w, r, cmp.Or(next, "/account"))
}

// login rotates the session to one of customerID (no fixation) and moves
// the guest cart into the customer's, in the same transaction.
func (h *Handler) login(ctx context.Context, w http.ResponseWriter, r *http.Request, customerID int64) error {
	now := h.now()
	_, err := h.Sessions.Login(ctx, w, r, customerID, func(tx *sql.Tx, oldHash, _ string) error {
		return cart.MergeTx(ctx, tx, oldHash, customerID, now)
	})
	return err
}

// logoutPost serves POST /account/logout.
func (h *Handler) logoutPost(w http.ResponseWriter, r *http.Request) {
	if err := h.Sessions.Logout(r.Context(), w, r); err != nil {
		h.ServerError(w, r, err)
		return
	}
	page.SeeOther(w, r, "/")
}
