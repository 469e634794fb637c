package admin

import (
	"net/http"
	"net/url"

	"agora/internal/fault"
	"agora/internal/page"
	"agora/internal/staff"
)

// The staff page (issue 16): owners invite staff, change roles, disable
// and re-enable accounts. staff.Service enforces the rules (the store
// keeps an active owner; nobody changes their own role or disables
// themselves); this page shows them and their messages.

type staffPage struct {
	layout
	Accounts []staff.Account
	Roles    []staff.Role
	Me       int64
	Form     *form
	// Invited and Password are the account just made and its generated
	// password: shown on this one answer, never again (only a hash is
	// kept), for the owner to hand over.
	Invited  string
	Password string
}

// staffList serves GET /admin/staff.
func (h *Handler) staffList(w http.ResponseWriter, r *http.Request) {
	h.showStaff(w, r, http.StatusOK, emptyForm(), "", "")
}

func (h *Handler) showStaff(w http.ResponseWriter, r *http.Request, status int, f *form, invited, pw string) {
	list, err := h.Staff.List(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	me, _ := staff.From(r.Context())
	h.render(w, r, status, "staff", staffPage{layout: h.newLayout(r, "Staff", "staff"), Accounts: list,
		Roles: staff.Roles, Me: me.ID, Form: f, Invited: invited, Password: pw})
}

// staffInvite serves POST /admin/staff (email, name, role). The answer is
// the page itself, not a redirect: the password is shown on it once.
func (h *Handler) staffInvite(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := newForm(r, "email", "name", "role")
	st, pw, err := h.Staff.Invite(r.Context(), f.Value("email"), f.Value("name"), staff.Role(f.Value("role")))
	if err != nil {
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, f.Has)
		h.showStaff(w, r, page.FormStatus(err), f, "", "")
		return
	}
	h.showStaff(w, r, http.StatusCreated, emptyForm(), st.Email, pw)
}

// staffRole serves POST /admin/staff/{id}/role (role).
func (h *Handler) staffRole(w http.ResponseWriter, r *http.Request) {
	h.staffChange(w, r, "role", func(me staff.Staff, id int64) error {
		return h.Staff.SetRole(r.Context(), me, id, staff.Role(r.PostFormValue("role")))
	})
}

// staffDisable serves POST /admin/staff/{id}/disable and …/enable.
func (h *Handler) staffDisable(disabled bool) http.HandlerFunc {
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h.staffChange(w, r, done, func(me staff.Staff, id int64) error {
			return h.Staff.SetDisabled(r.Context(), me, id, disabled)
		})
	}
}

// staffChange runs one change of account {id} by the signed-in owner and
// answers with the list again: a redirect when done, the page with the
// refusal's message when not.
func (h *Handler) staffChange(w http.ResponseWriter, r *http.Request, done string, change func(me staff.Staff, id int64) error) {
	if !h.parsePost(w, r) {
		return
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	me, _ := staff.From(r.Context())
	if err := change(me, id); err != nil {
		switch {
		case isInternal(err):
			h.serverError(w, r, err)
		case fault.CodeOf(err) == fault.NotFound:
			h.notFound(w, r)
		default:
			f := emptyForm()
			f.Message = fault.MessageOf(err)
			h.showStaff(w, r, page.FormStatus(err), f, "", "")
		}
		return
	}
	page.SeeOther(w, r, "/admin/staff?done="+url.QueryEscape("staff-"+done))
}
