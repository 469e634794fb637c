package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// ContentType is the media type of every API response (RFC 8259 §11: JSON
// is UTF-8 and takes no charset parameter).
const ContentType = "application/json"

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// internalBody is sent when a response cannot be encoded at all.
const internalBody = `{"error":{"code":"internal","message":"Something went wrong on our side. Please try again in a moment."}}` + "\n"

// WriteJSON writes v as JSON with status, cacheControl (cachehdr.Private
// also drops any tags; "" leaves Cache-Control to the app's private default)
// and the Surrogate-Key tags. The body is encoded before anything is sent, so
// a value that cannot be encoded yields a clean 500 instead of half a
// document. encoding/json escapes <, > and & (safe to embed in HTML) and
// writes struct fields in declaration order, so equal values give equal bytes.
func WriteJSON(w http.ResponseWriter, status int, cacheControl string, v any, tags ...string) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		// Only a programming error (a func or channel in v) lands here.
		status, cacheControl = http.StatusInternalServerError, cachehdr.Private
		buf.Reset()
		buf.WriteString(internalBody)
	}
	hdr := w.Header()
	switch cacheControl {
	case "":
	case cachehdr.Private:
		cachehdr.SetPrivate(hdr)
	default:
		cachehdr.Set(hdr, cacheControl, tags...)
	}
	hdr.Set("Content-Type", ContentType)
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// WriteError answers err as a JSON error with the status of its fault code.
// Server-side failures (5xx) are logged with their cause and shown with a
// generic message; "not found" may be cached briefly by shared caches (to
// absorb floods), every other error is private.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	err = store.Unavailable(err) // a lost database is 503 wherever it surfaced
	code := fault.CodeOf(err)
	status := fault.Status(code)
	if status >= 500 {
		logFailure(r, log, status, err)
	}
	cc := cachehdr.Private
	if code == fault.NotFound {
		cc = cachehdr.NotFound
	}
	writeErrorStatus(w, status, cc, string(code), fault.MessageOf(err), fault.FieldOf(err))
}

func writeErrorStatus(w http.ResponseWriter, status int, cacheControl, code, message, field string) {
	WriteJSON(w, status, cacheControl, errorBody{Error: errorDetail{Code: code, Message: message, Field: field}})
}

func logFailure(r *http.Request, log *slog.Logger, status int, err error) {
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		level = slog.LevelDebug // the client went away mid-query: not our failure
	}
	log.Log(r.Context(), level, "api: request failed",
		"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
}
