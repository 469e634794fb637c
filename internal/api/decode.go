package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
)

// MaxWriteBody is the largest request body the shopping endpoints read:
// 64 KiB, far above any real cart or checkout request, so a flood of large
// bodies costs little memory. The app tier's general limit is larger.
const MaxWriteBody = 64 << 10

// errUnsupportedType is answered 415 "unsupported_media_type" (RFC 9110
// §15.5.16): like 405, it has no fault code of its own. Requiring
// application/json also means a browser cannot send these requests from
// another site without a CORS preflight, on top of CrossOriginProtection.
var errUnsupportedType = errors.New("api: body is not application/json")

// decodeJSON reads r's body, at most MaxWriteBody bytes, into v: exactly one
// JSON value, UTF-8, no fields v does not have. Errors are user-safe faults
// naming the field where there is one (errUnsupportedType for a body that is
// not declared JSON); nothing is written before decoding succeeds.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeJSONMax(w, r, v, MaxWriteBody)
}

// decodeJSONMax is decodeJSON with a body limit of max bytes.
func decodeJSONMax(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	if r.ContentLength > max {
		return tooLarge(max)
	}
	if err := checkContentType(r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(max)
		}
		return fault.New(fault.Invalid, "The request body could not be read.")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD; RFC 8259
	// §8.1 says JSON is UTF-8, so say which field is broken instead.
	if !utf8.Valid(body) {
		bad := badUTF8Offset(body)
		if field := fieldAt(body, bad); field != "" {
			return fault.Field(field, "%s is not valid UTF-8 text.", field)
		}
		return fault.New(fault.Invalid, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.New(fault.Invalid, "The request body must hold exactly one JSON value.")
	}
	return nil
}

func tooLarge(max int64) error {
	return fault.New(fault.TooLarge, "The request body is too large: at most %d bytes (%d KiB) are accepted here.",
		max, max>>10)
}

// checkContentType admits application/json, with at most a UTF-8 charset.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return fault.New(fault.Invalid, "This request needs a JSON body.")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errUnsupportedType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errUnsupportedType
	}
	return nil
}

// decodeError turns an encoding/json error into a fault a client can act on.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return fault.New(fault.Invalid, "This request needs a JSON body.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.Invalid, "The JSON body ends too early.")
	case errors.As(err, &syn):
		return fault.New(fault.Invalid, "The body is not valid JSON (at byte %d): %s.", syn.Offset,
			strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fault.New(fault.Invalid, "The body must be a JSON object.")
		}
		return fault.Field(typ.Field, "%s must be %s.", typ.Field, kindOf(typ.Type))
	}
	// DisallowUnknownFields has no typed error: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, err := strconv.Unquote(name); err == nil {
			name = f
		}
		return fault.Field(name, "%q is not a field of this request.", name)
	}
	return fault.New(fault.Invalid, "The body is not valid JSON.")
}

// kindOf describes what a field accepts, for type errors: a quantity sent
// as "abc", 1.5 or 1e30 "must be a whole number".
func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number within range"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "of another type"
}

// badUTF8Offset returns the offset of the first byte that is not UTF-8.
func badUTF8Offset(b []byte) int64 {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return int64(i)
		}
		i += n
	}
	return -1
}

// fieldAt returns the dotted path ("shipping_address.name") of the value
// that holds byte offset off of body, or "" if there is none. It tokenizes
// the document, which is cheap at MaxWriteBody and only runs on error paths.
func fieldAt(body []byte, off int64) string {
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var keys []string
		for _, f := range stack {
			if f.object && f.key != "" {
				keys = append(keys, f.key)
			}
		}
		return strings.Join(keys, ".")
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey, stack[n-1].key = true, ""
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		end := dec.InputOffset()
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if top := len(stack) - 1; top >= 0 && stack[top].object && stack[top].wantKey {
			if end > off { // the key itself is broken: name its object
				stack[top].key = ""
				return path()
			}
			stack[top].key, stack[top].wantKey = tok.(string), false
			continue
		}
		if end > off {
			return path()
		}
		valueDone()
	}
}
