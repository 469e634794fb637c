package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Unset is the value of a duration directive that is absent.
const Unset time.Duration = -1

// maxDelta is the clamp for delta-seconds: RFC 9111 §1.2.2 says a value
// larger than the greatest integer a cache can represent is sent as
// 2147483648 (2^31), and a recipient treats larger values as that.
const maxDelta = 2147483648

// Directives holds the cache directives this cache acts on. Duration fields
// are Unset when the directive is absent.
type Directives struct {
	// Response directives (RFC 9111 §5.2.2, RFC 5861).
	NoStore         bool
	NoCache         bool // also set by the qualified form no-cache="field"
	Private         bool // also set by the qualified form private="field"
	Public          bool
	MustRevalidate  bool
	ProxyRevalidate bool
	Immutable       bool // RFC 8246
	NoTransform     bool // RFC 9111 §5.2.2.6: the edge must not compress

	MaxAge               time.Duration
	SMaxAge              time.Duration
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration

	// Request only (RFC 9111 §5.2.1). Request no-cache, no-store and
	// max-age share the fields above.
	OnlyIfCached bool
	MinFresh     time.Duration
}

// ParseCacheControl parses the values of one directive header (every field
// line of it, joined as by RFC 9110 §5.3). It never fails: unknown
// directives and junk are skipped, the first occurrence of a directive wins
// (RFC 9111 §4.2.1), and numbers beyond 2^31 seconds are clamped.
//
// A max-age or s-maxage whose value is not a valid delta-seconds makes the
// response stale (0), the conservative reading of RFC 9111 §4.2.1; an
// invalid stale-while-revalidate or stale-if-error is ignored.
func ParseCacheControl(values []string) Directives {
	d := Directives{MaxAge: Unset, SMaxAge: Unset, StaleWhileRevalidate: Unset, StaleIfError: Unset, MinFresh: Unset}
	seen := map[string]bool{}
	for _, v := range values {
		for _, item := range splitDirectives(v) {
			name, arg := splitDirective(item)
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			d.apply(name, arg)
		}
	}
	return d
}

func (d *Directives) apply(name, arg string) {
	switch name {
	case "no-store":
		d.NoStore = true
	case "no-cache":
		d.NoCache = true
	case "private":
		d.Private = true
	case "public":
		d.Public = true
	case "must-revalidate":
		d.MustRevalidate = true
	case "proxy-revalidate":
		d.ProxyRevalidate = true
	case "immutable":
		d.Immutable = true
	case "no-transform":
		d.NoTransform = true
	case "only-if-cached":
		d.OnlyIfCached = true
	case "min-fresh":
		d.MinFresh = deltaOr(arg, Unset)
	case "max-age":
		d.MaxAge = deltaOr(arg, 0)
	case "s-maxage":
		d.SMaxAge = deltaOr(arg, 0)
	case "stale-while-revalidate":
		d.StaleWhileRevalidate = deltaOr(arg, Unset)
	case "stale-if-error":
		d.StaleIfError = deltaOr(arg, Unset)
	}
}

// deltaOr parses delta-seconds (RFC 9111 §1.2.2), or returns invalid.
func deltaOr(s string, invalid time.Duration) time.Duration {
	if s == "" {
		return invalid
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return invalid
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxDelta {
		n = maxDelta // only overflow is possible here: all digits
	}
	return time.Duration(n) * time.Second
}

// splitDirectives splits on commas outside quoted strings.
func splitDirectives(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start <= len(s) {
		out = append(out, s[start:])
	}
	return out
}

// splitDirective returns the lower-cased name and the unquoted argument.
func splitDirective(item string) (name, arg string) {
	name, arg, _ = strings.Cut(item, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && arg[0] == '"' && arg[len(arg)-1] == '"' {
		arg = unquote(arg[1 : len(arg)-1])
	}
	return name, arg
}

func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Targeted fields this cache obeys, in precedence order (RFC 9213 §2.1).
// Surrogate-Control is the older Edge Architecture field with the same role.
var targetedFields = []string{"Cdn-Cache-Control", "Surrogate-Control"}

// ResponseDirectives returns the directives that govern this cache for a
// response. Per RFC 9213 §2.1, the first targeted field with a usable value
// wins and Cache-Control is then ignored; Targeted reports that, because
// Expires must then be ignored too.
func ResponseDirectives(h http.Header) (d Directives, targeted bool) {
	for _, f := range targetedFields {
		if v := h.Values(f); len(v) > 0 {
			d = ParseCacheControl(v)
			if d.usable() {
				return d, true
			}
		}
	}
	return ParseCacheControl(h.Values("Cache-Control")), false
}

// usable reports whether a targeted field carried any directive this cache
// understands; one that does not is treated as absent (RFC 9213 §2.1).
func (d Directives) usable() bool {
	return d.NoStore || d.NoCache || d.Private || d.Public || d.MustRevalidate ||
		d.ProxyRevalidate || d.Immutable || d.MaxAge != Unset || d.SMaxAge != Unset ||
		d.StaleWhileRevalidate != Unset || d.StaleIfError != Unset
}

// RequestDirectives parses a request's Cache-Control (RFC 9111 §5.2.1).
// Pragma: no-cache counts as no-cache when Cache-Control is absent (§5.4).
func RequestDirectives(h http.Header) Directives {
	v := h.Values("Cache-Control")
	d := ParseCacheControl(v)
	if len(v) == 0 {
		for _, p := range h.Values("Pragma") {
			if strings.Contains(strings.ToLower(p), "no-cache") {
				d.NoCache = true
			}
		}
	}
	return d
}
