package tlsserve

import (
	"net"
	"net/http"
	"strings"
)

// Redirect answers plain-HTTP requests (--http-listen) with a redirect to
// the same host and target over HTTPS on httpsPort ("443" or "" leaves
// the port out of the URL): 301 for GET and HEAD, 308 for other methods so
// that a form post is not turned into a GET (RFC 9110 §15.4.9). ACME's
// HTTP-01 challenge answers come first when the ACME code wraps this
// handler (it serves /.well-known/acme-challenge/ and passes the rest on).
func Redirect(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if host == "" || strings.ContainsAny(host, "/\\@ ") {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "missing or malformed Host", http.StatusBadRequest)
			return
		}
		if httpsPort != "" && httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 literal
		}
		target := "https://" + host + r.URL.RequestURI()
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		w.Header().Set("Location", target)
		w.Header().Set("Cache-Control", "max-age=3600")
		w.WriteHeader(code)
	})
}
