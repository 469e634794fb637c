package cache

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// trackingParams are query parameters that never change a page: removing
// them from the key lets campaign links share one cached copy (DESIGN.md,
// "Full-page cache"). Any parameter starting with "utm_" is removed too.
var trackingParams = map[string]bool{
	"gclid": true, "fbclid": true, "msclkid": true, "mc_cid": true, "mc_eid": true,
}

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
	var b strings.Builder
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		b.WriteString(r.Method)
	}
	b.WriteByte('\n')
	b.WriteString(normalizeHost(r.Host, r.TLS != nil))
	b.WriteByte('\n')
	b.WriteString(r.URL.EscapedPath())
	b.WriteByte('\n')
	b.WriteString(normalizeQuery(r.URL.RawQuery))
	for _, name := range vary {
		b.WriteByte('\n')
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(varyValue(r.Header, name))
	}
	return b.String()
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

func normalizeHost(host string, tls bool) string {
	host = strings.ToLower(host)
	if tls {
		return strings.TrimSuffix(host, ":443")
	}
	return strings.TrimSuffix(host, ":80")
}

// normalizeQuery drops tracking parameters and sorts the rest by name then
// value, keeping the original escaping so distinct URLs stay distinct.
func normalizeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		name = strings.ToLower(name)
		if trackingParams[name] || strings.HasPrefix(name, "utm_") {
			continue
		}
		kept = append(kept, p)
	}
	slices.Sort(kept)
	return strings.Join(kept, "&")
}

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
	for _, item := range strings.Split(v, ",") {
		coding, params, _ := strings.Cut(item, ";")
		q := qValue(params)
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "br":
			br = q
		case "gzip", "x-gzip":
			gz = q
		case "*":
			star = q
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
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
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
