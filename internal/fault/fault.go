// Package fault holds Agora's domain errors: a machine-readable code, a
// message safe to show a user, and optionally the field it concerns. Every
// tier maps codes to HTTP statuses through one table (Status) so the JSON API,
// the HTML pages and the logs agree. It must not import anything of Agora's.
package fault

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is one of the error codes of the public API (DESIGN.md, "Public JSON API").
type Code string

const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	Conflict     Code = "conflict"
	OutOfStock   Code = "out_of_stock"
	RateLimited  Code = "rate_limited"
	TooLarge     Code = "too_large"
	Unavailable  Code = "unavailable"
	Internal     Code = "internal"
)

// Error is a domain error. Message is shown to users as is, so it never holds
// SQL, stack traces or secrets; the cause, if any, is only logged.
type Error struct {
	Code    Code
	Message string
	Field   string // optional: the input field the message is about
	Cause   error  // optional: logged, never shown
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error with code and a user-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one input field.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, or Internal when err is not a *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the user-safe message of err; internal errors get a
// generic message so their details never reach a user.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "Something went wrong on our side. Please try again in a moment."
}

// FieldOf returns the field an error is about, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Status maps a code to its HTTP status: the one table for every handler.
func Status(code Code) int {
	switch code {
	case Invalid:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case Conflict, OutOfStock:
		return http.StatusConflict
	case RateLimited:
		return http.StatusTooManyRequests
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
