package tlsserve

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"agora/internal/edge/h1"
)

// DefaultHSTS is the Strict-Transport-Security value the edge sends on
// TLS responses unless told otherwise (--hsts): one year, this host only.
// includeSubDomains and preload are the operator's to add, since they bind
// every subdomain (and, for preload, browsers' built-in lists) to HTTPS.
const DefaultHSTS = "max-age=31536000"

// ParseHSTS checks an --hsts value: "off" (returned as ""), or
// "max-age=SECONDS" with optional "; includeSubDomains" and "; preload"
// (RFC 6797 §6.1). It returns the value to send.
func ParseHSTS(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") {
		return "", nil
	}
	var maxAge bool
	for d := range strings.SplitSeq(v, ";") {
		d = strings.TrimSpace(d)
		name, val, hasVal := strings.Cut(d, "=")
		switch {
		case strings.EqualFold(name, "max-age") && hasVal:
			n, err := strconv.ParseUint(strings.Trim(val, `"`), 10, 32)
			if err != nil {
				return "", fmt.Errorf("tlsserve: --hsts %q: max-age must be a number of seconds", v)
			}
			_ = n
			maxAge = true
		case !hasVal && (strings.EqualFold(name, "includeSubDomains") || strings.EqualFold(name, "preload")):
		default:
			return "", fmt.Errorf("tlsserve: --hsts %q: unknown directive %q (want max-age=SECONDS[; includeSubDomains][; preload] or off)", v, d)
		}
	}
	if !maxAge {
		return "", errors.New("tlsserve: --hsts " + strconv.Quote(v) + ": max-age=SECONDS is required (or off)")
	}
	return v, nil
}

// Fields are response fields every response on a TLS listener carries:
// Strict-Transport-Security, and Alt-Svc when HTTP/3 is offered. They are
// added on the fast hit path as pre-serialized bytes and on the ordinary
// path before the handler runs, so both paths answer alike.
type Fields struct {
	names, values []string
	raw           []byte // "Name: value\r\n" for each
}

// Add appends a field; an empty value adds nothing.
func (f *Fields) Add(name, value string) {
	if value == "" {
		return
	}
	f.names = append(f.names, name)
	f.values = append(f.values, value)
	f.raw = append(f.raw, name+": "+value+"\r\n"...)
}

// Fast wraps an h1 fast handler: a hit it answers gets the fields,
// appended to its head without allocating.
func (f *Fields) Fast(next h1.FastHandler) h1.FastHandler {
	if len(f.raw) == 0 || next == nil {
		return next
	}
	return func(req *h1.Request, rep *h1.Reply) bool {
		if !next(req, rep) {
			return false
		}
		rep.Head = append(rep.Head, f.raw...)
		return true
	}
}

// Handler wraps an ordinary handler: every response gets the fields.
func (f *Fields) Handler(next http.Handler) http.Handler {
	if len(f.raw) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for i, name := range f.names {
			h[name] = []string{f.values[i]}
		}
		next.ServeHTTP(w, r)
	})
}

// With is a copy of f with a field added; f is unchanged.
func (f Fields) With(name, value string) Fields {
	c := Fields{names: slices.Clone(f.names), values: slices.Clone(f.values), raw: slices.Clone(f.raw)}
	c.Add(name, value)
	return c
}
