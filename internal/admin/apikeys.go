package admin

import (
	"net/http"

	"agora/internal/fault"
	"agora/internal/page"
	"agora/internal/staff"
)

type apiKeysPage struct {
	layout
	Keys []staff.APIKey
	Form *form
	// Created is the plaintext of the key just made: shown on this one
	// answer and never again (only its hash is stored).
	Created     string
	CreatedName string
}

// apiKeys serves GET /admin/api-keys.
func (h *Handler) apiKeys(w http.ResponseWriter, r *http.Request) {
	h.showAPIKeys(w, r, http.StatusOK, emptyForm(), "", "")
}

func (h *Handler) showAPIKeys(w http.ResponseWriter, r *http.Request, status int, f *form, created, name string) {
	keys, err := h.Staff.APIKeys(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// Newest first: the key just made is on top.
	for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
		keys[i], keys[j] = keys[j], keys[i]
	}
	h.render(w, r, status, "apikeys", apiKeysPage{layout: h.newLayout(r, "API keys", "apikeys"),
		Keys: keys, Form: f, Created: created, CreatedName: name})
}

// apiKeyCreate serves POST /admin/api-keys. The answer is the page itself,
// not a redirect: the key is shown on it once and must not be kept anywhere
// to show after a redirect. The key acts with the creator's role.
func (h *Handler) apiKeyCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := newForm(r, "name")
	st, _ := staff.From(r.Context())
	plaintext, k, err := h.Staff.CreateAPIKey(r.Context(), st.ID, f.Value("name"))
	if err != nil {
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, f.Has)
		h.showAPIKeys(w, r, page.FormStatus(err), f, "", "")
		return
	}
	h.showAPIKeys(w, r, http.StatusCreated, emptyForm(), plaintext, k.Name)
}

// apiKeyRevoke serves POST /admin/api-keys/{id}/revoke.
func (h *Handler) apiKeyRevoke(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	if err := h.Staff.RevokeAPIKey(r.Context(), id); err != nil {
		if fault.CodeOf(err) == fault.Internal || fault.CodeOf(err) == fault.NotFound {
			h.fail(w, r, err)
			return
		}
		f := emptyForm()
		f.Message = fault.MessageOf(err)
		h.showAPIKeys(w, r, page.FormStatus(err), f, "", "")
		return
	}
	page.SeeOther(w, r, "/admin/api-keys?done=revoked")
}
