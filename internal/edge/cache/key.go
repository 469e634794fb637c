package cache

import (
	"agora/internal/cachehdr"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Key returns the cache key of r: host (lower-cased, default port removed),
// escaped path, normalized query and, for each header named in vary (the
// stored response's Vary, see ParseVary), the request's value. GET and HEAD
// share keys, since a HEAD can be answered from a stored GET (RFC 9110
// §9.3.2); other methods are kept apart. With vary nil it is the primary key
// under which the proxy looks up the Vary list itself.
//
// Parts are joined with '\n', which can appear in none of them (net/http
// rejects it in header values, and paths and queries are escaped).
func Key(r *http.Request, vary []string) string {
	// The scheme is the one the client spoke: TLS here, or https in the
	// target (the edge sets it for a trusted TLS terminator's requests).
	https := r.TLS != nil || r.URL.Scheme == "https"
	b := AppendKey(make([]byte, 0, 64), r.Method, r.Host, https, r.URL.EscapedPath(), r.URL.RawQuery)
	for _, name := range vary {
		b = AppendVary(b, name, varyValue(r.Header, name))
	}
	return string(b)
}

// AppendKey appends the primary key (Key with no Vary) of a request made
// of these parts to dst; path is the escaped path. It lets the edge's fast
// path build keys from raw request bytes into a reused buffer.
func AppendKey(dst []byte, method, host string, tls bool, path, rawQuery string) []byte {
	if method != http.MethodGet && method != http.MethodHead {
		dst = append(dst, method...)
	}
	dst = append(dst, '\n')
	dst = appendHost(dst, host, tls)
	dst = append(dst, '\n')
	dst = append(dst, path...)
	dst = append(dst, '\n')
	return append(dst, normalizeQuery(rawQuery)...)
}

// AppendVary appends one Vary header's part of a key: its name and the
// request's (normalized) value.
func AppendVary(dst []byte, name, value string) []byte {
	dst = append(dst, '\n')
	dst = append(dst, name...)
	dst = append(dst, ':')
	return append(dst, value...)
}

// ParseVary returns the canonical, sorted, de-duplicated header names of a
// response's Vary, and whether it contains "*" (never stored, RFC 9111 §4.1).
func ParseVary(h http.Header) (names []string, star bool) {
	for _, v := range h.Values("Vary") {
		for _, n := range strings.Split(v, ",") {
			n = strings.TrimSpace(n)
			switch n {
			case "":
			case "*":
				star = true
			default:
				names = append(names, http.CanonicalHeaderKey(n))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), star
}

// appendHost appends host lower-cased, without its scheme's default port.
//
// A page the client asked for over https is keyed apart from the same URL
// over http: the app builds absolute links and canonical URLs from the
// scheme, so the two are different pages.
func appendHost(dst []byte, host string, tls bool) []byte {
	if tls {
		dst = append(dst, "https:"...)
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	for i := range len(host) {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// normalizeQuery drops tracking parameters and sorts the rest by name,
// keeping the original escaping so distinct URLs stay distinct. The sort is
// stable and by the unescaped name: the app reads a parameter's first value,
// so the order of one name's values (however its name is escaped) is part
// of the page, and /search?q=sofa&q=boot is not /search?q=boot&q=sofa.
func normalizeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" || tracking(paramName(p)) {
			continue
		}
		kept = append(kept, p)
	}
	slices.SortStableFunc(kept, func(a, b string) int { return strings.Compare(paramName(a), paramName(b)) })
	return strings.Join(kept, "&")
}

// WithoutTracking returns rawQuery without its tracking parameters, the
// rest as they were. The edge asks the origin for that, so the page stored
// under a key is made from exactly the parameters the key holds, and a
// parameter left out of the key cannot put into a shared page what the
// request that fetched it chose.
func WithoutTracking(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		if !tracking(paramName(p)) {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(parts) {
		return rawQuery
	}
	return strings.Join(kept, "&")
}

// paramName is the name of one name=value part of a query, unescaped as
// the app reads it (url.ParseQuery), or as it is when it cannot be.
func paramName(part string) string {
	name, _, _ := strings.Cut(part, "=")
	if n, err := url.QueryUnescape(name); err == nil {
		return n
	}
	return name
}

// tracking is cachehdr.Tracking: the app ignores the same parameters.
var tracking = cachehdr.Tracking

// varyValue is the request's value of a Vary header, normalized for
// Accept-Encoding to the variant the edge would serve, so the many spellings
// browsers send map to three keys.
func varyValue(h http.Header, name string) string {
	v := strings.Join(h.Values(name), ",")
	if name == "Accept-Encoding" {
		return NormalizeAcceptEncoding(v)
	}
	return v
}

// NormalizeAcceptEncoding returns "br", "gzip" or "identity": the best coding
// the client accepts with a non-zero q-value (RFC 9110 §12.5.3), preferring
// br to gzip on ties.
func NormalizeAcceptEncoding(v string) string {
	var br, gz, star float64 = -1, -1, -1
	for rest := v; rest != ""; {
		var item string
		item, rest, _ = strings.Cut(rest, ",")
		coding, params, _ := strings.Cut(item, ";")
		coding = strings.TrimSpace(coding)
		switch {
		case strings.EqualFold(coding, "br"):
			br = qValue(params)
		case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
			gz = qValue(params)
		case coding == "*":
			star = qValue(params)
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	switch {
	case br > 0 && br >= gz:
		return "br"
	case gz > 0:
		return "gzip"
	}
	return "identity"
}

// qValue parses ";q=0.5"; a missing or invalid q counts as 1.
// It does not allocate: it runs on every cache hit.
func qValue(params string) float64 {
	for rest := params; rest != ""; {
		var p string
		p, rest, _ = strings.Cut(rest, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q > 1 || q != q {
				return 1
			}
			return q
		}
	}
	return 1
}
