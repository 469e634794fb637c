package admin

import (
	"net/http"
	"strconv"

	"agora/internal/fault"
	"agora/internal/page"
)

// form, input and option are the shared page forms (package page); the
// admin hands forms around by pointer.
type (
	form   = page.Form
	input  = page.Input
	option = page.Option
)

func newForm(r *http.Request, names ...string) *form {
	f := page.NewForm(r, names...)
	return &f
}

func emptyForm() *form { return &form{Values: map[string]string{}} }

// isInternal reports whether err holds no domain error: a 500, not a form
// message.
func isInternal(err error) bool { return fault.CodeOf(err) == fault.Internal }

// parsePost reads a POST's urlencoded form, answering 413 or 400 itself
// when the body is too large (the app's MaxBytesReader) or malformed.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	switch page.ReadForm(r) {
	case 0:
		return true
	case http.StatusRequestEntityTooLarge:
		h.showError(w, r, http.StatusRequestEntityTooLarge, "Too much data", "The form sent more data than it can hold.")
	default:
		h.showError(w, r, http.StatusBadRequest, "That request didn't look right", "The form could not be read. Please go back and try again.")
	}
	return false
}

// pathID reads a numeric path wildcard; a malformed one is a 404 (no such
// page), answered here.
func (h *Handler) pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		h.notFound(w, r)
		return 0, false
	}
	return id, true
}
