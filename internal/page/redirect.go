package page

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"agora/internal/cachehdr"
)

// LocalPath returns raw when it is a path on this site at or below root
// ("/" for the whole site, "/admin" for the admin), with an optional query
// and fragment; else "". Only such a value may be sent as a redirect target
// taken from a request (a login's "next"): anything else could send the
// browser to another site (open redirect, issue 9).
//
// It is strict rather than clever. Browsers drop tabs and newlines inside
// URLs and read "\" as "/", so "/\t/evil.example" is followed as
// "//evil.example", another origin: raw may hold no whitespace, control or
// invisible format character and no backslash anywhere, nor may its path
// once percent-decoded; no scheme, host or userinfo; no "//" at the start
// of the path; no "." or ".." segment; and it must be valid UTF-8.
func LocalPath(raw, root string) string {
	if !plain(raw) || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return ""
	}
	p := u.Path // percent-decoded
	if !plain(p) || strings.HasPrefix(p, "//") || dotSegment(p) {
		return ""
	}
	if root != "/" && p != root && !strings.HasPrefix(p, root+"/") {
		return ""
	}
	return raw
}

// plain reports whether s is valid UTF-8 without whitespace, control or
// format characters (zero-width spaces, bidi overrides) or backslashes.
func plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == '\\' || unicode.IsSpace(c) || unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			return false
		}
	}
	return true
}

func dotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// SeeOther ends a successful POST (Post/Redirect/Get): the browser GETs
// target next. The answer is private, as every page after a change is. A
// target that is not a local path (LocalPath) is replaced by "/": no
// redirect of a page can leave the site, whatever a caller builds it from.
func SeeOther(w http.ResponseWriter, r *http.Request, target string) {
	if LocalPath(target, "/") == "" {
		target = "/"
	}
	cachehdr.SetPrivate(w.Header())
	http.Redirect(w, r, target, http.StatusSeeOther)
}
