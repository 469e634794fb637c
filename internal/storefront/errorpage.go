package storefront

import (
	"context"
	"errors"
	"net/http"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// errorPage is the data of error.html.
type errorPage struct {
	layout
	Status     int
	Heading    string
	Message    string
	ShowSearch bool
}

// NotFound renders the friendly 404 page. Shared caches may keep it for a
// minute (cachehdr.NotFound) to absorb floods of requests for missing pages.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	if err := h.init(); err != nil {
		h.plainError(w, r, err)
		return
	}
	data := errorPage{
		layout:     h.newLayout(r, "Page not found", "", ""),
		Status:     http.StatusNotFound,
		Heading:    "We couldn't find that page",
		Message:    "The product or page you are looking for may have moved or is no longer sold. Try a search:",
		ShowSearch: true,
	}
	data.Robots = "noindex"
	h.render(w, r, http.StatusNotFound, "error", data, cachehdr.NotFound)
}

// BadRequest renders a 400 page that says what was wrong with the request,
// from err's user-safe message (fault.MessageOf). It is not cached: a
// mistyped URL is not worth a slot at the edge.
func (h *Handler) BadRequest(w http.ResponseWriter, r *http.Request, err error) {
	if err := h.init(); err != nil {
		h.plainError(w, r, err)
		return
	}
	data := errorPage{
		layout:  h.newLayout(r, "Bad request", "", ""),
		Status:  http.StatusBadRequest,
		Heading: "That request didn't look right",
		Message: fault.MessageOf(err),
	}
	data.Robots = "noindex"
	h.render(w, r, http.StatusBadRequest, "error", data, cachehdr.Private)
}

// ServerError logs err and renders a friendly page that never shows it:
// 503 when the database is out of reach for a moment (fault.Unavailable,
// a restart, issue 10), which the edge retries elsewhere or covers with its
// stale copy, else 500. The page is private so no cache keeps an outage's
// answer; the edge serves its stale copy instead (stale-if-error).
func (h *Handler) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Unavailable(err) // a lost database is 503 wherever it surfaced
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The visitor went away; nobody will read the page.
		h.log().Debug("storefront: request canceled", "method", r.Method, "path", r.URL.Path)
	} else {
		h.log().Error("storefront: server error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if err := h.init(); err != nil {
		h.plainError(w, r, err)
		return
	}
	data := errorPage{
		// No database call here: it may be the thing that failed.
		layout:  layout{Store: h.storeName(), Title: "Something went wrong", Robots: "noindex"},
		Status:  http.StatusInternalServerError,
		Heading: "Something went wrong on our side",
		Message: "Please try again in a moment. If it keeps happening, we are already on it.",
	}
	if fault.CodeOf(err) == fault.Unavailable {
		data.Title = "Back in a moment"
		data.Status = http.StatusServiceUnavailable
		data.Heading = "We'll be back in a moment"
		data.Message = "The shop is busy for a few seconds. Please reload the page shortly."
	}
	h.render(w, r, data.Status, "error", data, cachehdr.Private)
}

// fail answers with the page err calls for: 404, 400, or ServerError's
// 503 or 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch fault.CodeOf(err) {
	case fault.NotFound:
		h.NotFound(w, r)
	case fault.Invalid:
		h.BadRequest(w, r, err)
	default:
		h.ServerError(w, r, err)
	}
}

// plainError is the last resort when the templates could not be loaded.
func (h *Handler) plainError(w http.ResponseWriter, r *http.Request, err error) {
	h.log().Error("storefront: templates unavailable", "path", r.URL.Path, "err", err)
	cachehdr.SetPrivate(w.Header())
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
