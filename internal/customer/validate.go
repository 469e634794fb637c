package customer

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"agora/internal/fault"
)

// Input limits, in characters (runes).
const (
	maxEmail       = 254 // RFC 5321 path limit
	maxName        = 200
	maxAddressLine = 200
	maxCity        = 100
	maxPostalCode  = 20
	maxPhone       = 40
)

// checkText validates free text for field: valid UTF-8, no control
// characters (which break mail headers, logs and labels), at most max runes,
// and present when required. It returns nil or a field error.
func checkText(field, label, v string, max int, required bool) *fault.Error {
	switch {
	case !utf8.ValidString(v):
		return fault.Field(field, "%s contains invalid characters.", label)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fault.Field(field, "%s must not contain control characters or line breaks.", label)
	case required && strings.TrimSpace(v) == "":
		return fault.Field(field, "%s is required.", label)
	case utf8.RuneCountInString(v) > max:
		return fault.Field(field, "%s is too long (at most %d characters).", label, max)
	}
	return nil
}

// checkEmail validates an already normalized address.
func checkEmail(email string) *fault.Error {
	if e := checkText("email", "Email", email, maxEmail, true); e != nil {
		return e
	}
	a, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || a.Address != email || at < 1 || !strings.Contains(email[at+1:], ".") || strings.ContainsAny(email, " <>\"") {
		return fault.Field("email", "Enter an email address such as name@example.com.")
	}
	return nil
}

// join returns the field errors found: nil, the one error, or all of them
// joined, so a form can mark every bad field at once. fault.CodeOf and
// FieldOf see the first; errors.Join's Unwrap() []error gives them all.
func join(errs ...*fault.Error) error {
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return errors.Join(out...)
}
