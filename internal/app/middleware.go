package app

import "net/http"

// middleware wraps next in what every public request goes through,
// outermost first: the trusted-proxies judgement (so nothing after it reads
// a forwarding header an untrusted client wrote), observe (request id,
// response defaults, metrics, access log), the concurrency limit (which
// may queue or refuse the request before anything reads it), the test-only
// latency (testlatency.go; off unless set), recovery from panics, then
// request limits. The judgement never answers, so observe, next to it,
// counts and logs every answer, including the ones the others give.
//
// observe hands the inner layers one *http.Request, and none of them copies
// it, so the pattern ServeMux records on it (r.Pattern) is visible to
// observe after the handler returns: that is the metrics' route label.
func (s *Server) middleware(next http.Handler) http.Handler {
	return s.cfg.TrustedProxies.Middleware(s.observe(s.admit(s.delay(s.recoverPanics(s.limit(next))))))
}
