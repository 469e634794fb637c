package storefront

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/cart"
	"agora/internal/fault"
	"agora/internal/session"
)

// The shopping pages (cart, checkout, orders, accounts) are about one
// visitor: every answer is cachehdr.Private, including their error pages,
// and every successful POST redirects (Post/Redirect/Get) so a reload never
// repeats it.

// shopLayout is the frame of a private page: no canonical URL, not indexed.
func (h *Handler) shopLayout(r *http.Request, title string) layout {
	l := h.newLayout(r, title, "", "")
	l.Robots = "noindex, nofollow"
	return l
}

// renderPrivate renders a shopping page.
func (h *Handler) renderPrivate(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	h.render(w, r, status, page, data, cachehdr.Private)
}

// seeOther ends a successful POST: the browser GETs url next.
func seeOther(w http.ResponseWriter, r *http.Request, url string) {
	cachehdr.SetPrivate(w.Header())
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// shopFail answers a shopping request that failed outside any form: the
// error pages, all private. A 404 here must not be kept by the edge the way
// the public one is (cachehdr.NotFound): an order page is "not found" for
// everyone but its owner.
func (h *Handler) shopFail(w http.ResponseWriter, r *http.Request, err error) {
	switch fault.CodeOf(err) {
	case fault.NotFound:
		h.privateNotFound(w, r)
	case fault.Internal:
		h.ServerError(w, r, err)
	default:
		h.BadRequest(w, r, err)
	}
}

// privateNotFound is the 404 page, never stored by a cache.
func (h *Handler) privateNotFound(w http.ResponseWriter, r *http.Request) {
	data := errorPage{
		layout:     h.shopLayout(r, "Page not found"),
		Status:     http.StatusNotFound,
		Heading:    "We couldn't find that page",
		Message:    "The product or page you are looking for may have moved or is no longer sold. Try a search:",
		ShowSearch: true,
	}
	h.renderPrivate(w, r, http.StatusNotFound, "error", data)
}

// parsePost reads a POST's form, answering 413 or 400 itself when the
// body is too large (the app's MaxBytesReader) or malformed: r.PostFormValue
// alone would hide that as empty fields.
func (h *Handler) parsePost(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		data := errorPage{
			layout:  h.shopLayout(r, "Too much data"),
			Status:  http.StatusRequestEntityTooLarge,
			Heading: "That was more than we can take",
			Message: "The form sent far more data than it could hold. Please go back and try again.",
		}
		h.renderPrivate(w, r, http.StatusRequestEntityTooLarge, "error", data)
		return false
	}
	h.BadRequest(w, r, fault.New(fault.Invalid, "The form could not be read. Please go back and try again."))
	return false
}

// currentSession returns the visitor's session, or nil when there is none
// (no cookie, expired, forged): reading a page never creates one.
func (h *Handler) currentSession(w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	s, err := h.Sessions.Lookup(r)
	if fault.CodeOf(err) == fault.NotFound {
		return nil, nil
	}
	return s, err
}

// ownerOf is the cart a session shops with: the customer's once logged in.
func ownerOf(s *session.Session) cart.Owner {
	if s == nil {
		return cart.Owner{}
	}
	return cart.Owner{SessionHash: s.Hash, CustomerID: s.CustomerID}
}

// now is the clock of the shopping pages: the cart service's, so tests
// that inject one see merges at their time.
func (h *Handler) now() time.Time {
	if h.Carts != nil && h.Carts.Now != nil {
		return h.Carts.Now().UTC()
	}
	return time.Now().UTC()
}

// form is what a shopper typed into a form and what was wrong with it, kept
// to render the form again.
type form struct {
	Values  map[string]string
	Errors  map[string]string // by field name
	Message string            // about the whole form
}

func newForm(r *http.Request, names ...string) form {
	f := form{Values: make(map[string]string, len(names))}
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

// Value returns what was typed into field name.
func (f form) Value(name string) string { return f.Values[name] }

// Error returns the message about field name, or "".
func (f form) Error(name string) string { return f.Errors[name] }

// fail records err: each field error next to its field (ValidateAddress may
// join several), anything else as the form's message. Forms name their
// inputs as the domain names its fields; a field the form does not show
// (shown reports false) goes to the message, so no error is ever lost.
func (f *form) fail(err error, shown func(field string) bool) {
	if err == nil {
		return
	}
	for _, e := range faultErrors(err) {
		if e.Field != "" && shown(e.Field) {
			if f.Errors == nil {
				f.Errors = map[string]string{}
			}
			if _, dup := f.Errors[e.Field]; !dup {
				f.Errors[e.Field] = e.Message
			}
			continue
		}
		if f.Message == "" {
			f.Message = fault.MessageOf(e)
		}
	}
	if f.Message == "" && len(f.Errors) == 0 {
		f.Message = fault.MessageOf(err)
	}
}

// faultErrors flattens err into its domain errors, following errors.Join
// and wrapping. An error without any is returned as one Internal error.
func faultErrors(err error) []*fault.Error {
	var out []*fault.Error
	var walk func(error)
	walk = func(err error) {
		var fe *fault.Error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
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

// statusOf is the status of a form re-rendered because of err.
func statusOf(err error) int {
	es := faultErrors(err)
	return fault.Status(es[0].Code)
}

// field is one input of a form as field in shop.html renders it.
type input struct {
	Name, Label  string
	Type         string // "" → text
	Autocomplete string
	Hint         string
	Value, Error string
	Required     bool
	MaxLen       int
	MinLen       int
	Class        string   // extra class on the wrapper, "full" spans both columns
	Options      []option // makes it a select
}

// ID is the element id: the name with the characters a CSS selector or a
// fragment would stumble on replaced.
func (f input) ID() string { return "f-" + strings.NewReplacer(".", "-", "_", "-").Replace(f.Name) }

type option struct {
	Value, Label string
	Selected     bool
}

// fill sets each field's value and error from f.
func (f form) fill(fields []input) []input {
	for i := range fields {
		fields[i].Value = f.Value(fields[i].Name)
		fields[i].Error = f.Error(fields[i].Name)
		for j := range fields[i].Options {
			fields[i].Options[j].Selected = fields[i].Options[j].Value == fields[i].Value
		}
	}
	return fields
}

// newKey returns 128 random bits as hex: the checkout form's idempotency
// key, one per rendering, so a double submit places one order.
func newKey() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// localPath returns next when it is a path on this site, else "": a login
// link's "next" must not send the shopper to another site (open redirect).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}
