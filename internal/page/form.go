package page

import (
	"errors"
	"net/http"
	"strings"

	"agora/internal/fault"
)

// Form is what was typed into a form and what was wrong with it, kept to
// render the form again. Inputs are named as the domain names its fields
// (fault.FieldOf), so an error lands next to its input. The zero Form is an
// empty form.
type Form struct {
	Values  map[string]string
	Errors  map[string]string // by field name
	Message string            // about the whole form
}

// NewForm reads the fields names of r's parsed form, trimmed.
func NewForm(r *http.Request, names ...string) Form {
	f := Form{Values: make(map[string]string, len(names))}
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

// Value returns what was typed into field name.
func (f Form) Value(name string) string { return f.Values[name] }

// Error returns the message about field name, or "".
func (f Form) Error(name string) string { return f.Errors[name] }

// Checked reports whether a checkbox was ticked.
func (f Form) Checked(name string) bool { return f.Values[name] != "" }

// Invalid reports whether anything is wrong.
func (f Form) Invalid() bool { return len(f.Errors) > 0 || f.Message != "" }

// Has reports whether the form has an input named field: a shown func for
// Fail.
func (f Form) Has(field string) bool {
	_, ok := f.Values[field]
	return ok
}

// Set records a message about one field (the first one wins).
func (f *Form) Set(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; !dup {
		f.Errors[field] = msg
	}
}

// Fail records err: each field error next to its field when the form shows
// that input (shown reports it; a validation may join several), anything
// else as the form's message, so no error is ever lost.
func (f *Form) Fail(err error, shown func(field string) bool) {
	for _, e := range Errors(err) {
		if e.Field != "" && shown(e.Field) {
			f.Set(e.Field, e.Message)
		} else if f.Message == "" {
			f.Message = fault.MessageOf(e)
		}
	}
}

// Errors flattens err into its domain errors, following errors.Join and
// wrapping. A non-nil error without any is one Internal error.
func Errors(err error) []*fault.Error {
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

// Status is the status of a page shown again because of err: its first
// domain error's (fault.Status).
func Status(err error) int { return fault.Status(Errors(err)[0].Code) }

// FormStatus is Status for a form. A refused login is 400, not 401: a 401
// must name an HTTP authentication scheme (RFC 9110 §15.5.2), and a form is
// none.
func FormStatus(err error) int {
	if s := Status(err); s != http.StatusUnauthorized {
		return s
	}
	return http.StatusBadRequest
}

// ReadForm parses r's urlencoded form. When it cannot, it returns the status
// to answer: 413 when the body is larger than the server's MaxBytesReader
// allows, else 400 — r.PostFormValue alone would hide both as empty fields.
// It returns 0 when the form is read.
func ReadForm(r *http.Request) int {
	err := r.ParseForm()
	if err == nil {
		return 0
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// Input is one field of a form as the front ends' "field" partials render
// it. Fields one front end does not use stay zero.
type Input struct {
	Name, Label  string
	Type         string // "" → text; "textarea", "checkbox", "select", "email"…
	Autocomplete string
	Hint         string
	Value, Error string
	Required     bool
	MaxLen       int
	MinLen       int
	Placeholder  string
	Options      []Option // makes it a select
	Class        string   // extra class on the wrapper, "full" spans the row
	Inputmode    string   // "decimal", "numeric"
}

// ID is the element id: the name with the characters a CSS selector or a
// fragment would stumble on replaced.
func (in Input) ID() string { return "f-" + idReplacer.Replace(in.Name) }

var idReplacer = strings.NewReplacer(".", "-", "_", "-", "[", "-", "]", "")

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Fill sets each field's value and error from f, and selects the option
// of a select that holds its value.
func (f Form) Fill(fields []Input) []Input {
	for i := range fields {
		fields[i].Value = f.Value(fields[i].Name)
		fields[i].Error = f.Error(fields[i].Name)
		for j := range fields[i].Options {
			fields[i].Options[j].Selected = fields[i].Options[j].Value == fields[i].Value
		}
	}
	return fields
}
