package admin

import (
	"context"
	"errors"
	"net/http"

	"agora/internal/fault"
	"agora/internal/store"
)

// errorPage is the data of error.html.
type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
}

// notFound is the admin's 404.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.showError(w, r, http.StatusNotFound, "Not found", "There is nothing here. It may have been deleted, or the address is mistyped.")
}

// forbidden is the page of a role that lacks a permission.
func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.showError(w, r, http.StatusForbidden, "Not for your role",
		"Your role does not allow this page or action. Ask the store's owner if you need it.")
}

// serverError logs err and shows a page that never reveals it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		h.log().Debug("admin: request canceled", "method", r.Method, "path", r.URL.Path)
	} else {
		h.log().Error("admin: server error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h.showError(w, r, http.StatusInternalServerError, "Something went wrong",
		"The change was not made, or not completely. Please try again in a moment.")
}

// fail answers a request that failed outside any form, by err's code.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Unavailable(err) // a lost database is 503 wherever it surfaced
	code := fault.CodeOf(err)
	switch code {
	case fault.Internal:
		h.serverError(w, r, err)
	case fault.NotFound:
		h.showError(w, r, http.StatusNotFound, "Not found", fault.MessageOf(err))
	default:
		h.showError(w, r, fault.Status(code), "That did not work", fault.MessageOf(err))
	}
}

func (h *Handler) showError(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	if err := h.init(); err != nil {
		h.log().Error("admin: templates unavailable", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	data := errorPage{layout: h.newLayout(r, heading, ""), Status: status, Heading: heading, Message: msg}
	data.Notice = ""
	h.render(w, r, status, "error", data)
}
