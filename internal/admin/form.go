package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"agora/internal/fault"
)

// form is what was typed into a form and what was wrong with it, kept to
// render the form again. Inputs are named as the domain names its fields
// (fault.FieldOf), so an error lands next to its input.
type form struct {
	Values  map[string]string
	Errors  map[string]string // by field name
	Message string            // about the whole form
}

func newForm(r *http.Request, names ...string) *form {
	f := &form{Values: make(map[string]string, len(names))}
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

func emptyForm() *form { return &form{Values: map[string]string{}} }

// Value returns what was typed into field name.
func (f *form) Value(name string) string { return f.Values[name] }

// Error returns the message about field name, or "".
func (f *form) Error(name string) string { return f.Errors[name] }

// Checked reports whether a checkbox was ticked.
func (f *form) Checked(name string) bool { return f.Values[name] != "" }

// Invalid reports whether anything is wrong.
func (f *form) Invalid() bool { return len(f.Errors) > 0 || f.Message != "" }

// set records a message about one field (the first one wins).
func (f *form) set(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// fail records err: next to its field when the form has that input (shown
// reports it), else as the form's message, so no error is ever lost.
func (f *form) fail(err error, shown func(field string) bool) {
	for _, e := range faultErrors(err) {
		if e.Field != "" && shown(e.Field) {
			f.set(e.Field, e.Message)
		} else if f.Message == "" {
			f.Message = fault.MessageOf(e)
		}
	}
}

// has returns a shown func for fail: the form's own inputs.
func (f *form) has(field string) bool {
	_, ok := f.Values[field]
	return ok
}

// faultErrors flattens err into its domain errors, following errors.Join
// and wrapping. An error without any is one Internal error.
func faultErrors(err error) []*fault.Error {
	var out []*fault.Error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *fault.Error
		if errors.As(err, &fe) {
			out = append(out, fe)
		}
	}
	walk(err)
	if len(out) == 0 && err != nil {
		out = append(out, &fault.Error{Code: fault.Internal, Message: "internal", Cause: err})
	}
	return out
}

// isInternal reports whether err holds no domain error: a 500, not a form
// message.
func isInternal(err error) bool { return fault.CodeOf(err) == fault.Internal }

// formStatus is the status of a form re-rendered because of err. A refused
// login is 400, not 401: a 401 must name an HTTP authentication scheme
// (RFC 9110 §15.5.2), and a form is none.
func formStatus(err error) int {
	s := fault.Status(faultErrors(err)[0].Code)
	if s == http.StatusUnauthorized {
		return http.StatusBadRequest
	}
	return s
}

// parsePost reads a POST's urlencoded form, answering 413 or 400 itself
// when the body is too large (the app's MaxBytesReader) or malformed.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.showError(w, r, http.StatusRequestEntityTooLarge, "Too much data", "The form sent more data than it can hold.")
		return false
	}
	h.showError(w, r, http.StatusBadRequest, "That request didn't look right", "The form could not be read. Please go back and try again.")
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

// localPath returns next when it is a path inside the admin, else "": the
// login's "next" must not send staff to another site (open redirect).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return ""
	}
	return next
}

// input is one field of a form as "field" in partials.html renders it.
type input struct {
	Name, Label  string
	Type         string // "" → text; "textarea", "checkbox", "select"
	Hint         string
	Value, Error string
	Required     bool
	MaxLen       int
	Placeholder  string
	Options      []option // for a select
	Class        string   // extra class on the wrapper, "full" spans the row
	Inputmode    string   // "decimal", "numeric"
}

// ID is the element id: the name with characters a fragment would stumble on
// replaced.
func (in input) ID() string {
	return "f-" + strings.NewReplacer(".", "-", "_", "-", "[", "-", "]", "").Replace(in.Name)
}

type option struct {
	Value, Label string
	Selected     bool
}

// fill sets each field's value and error from f.
func (f *form) fill(fields []input) []input {
	for i := range fields {
		fields[i].Value = f.Value(fields[i].Name)
		fields[i].Error = f.Error(fields[i].Name)
		for j := range fields[i].Options {
			fields[i].Options[j].Selected = fields[i].Options[j].Value == fields[i].Value
		}
	}
	return fields
}
