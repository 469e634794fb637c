package edge

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"agora/internal/clientaddr"
	"agora/internal/edge/cache"

	"github.com/prometheus/client_golang/prometheus"
)

// The front door (issue 9): what the edge believes of a request and whose
// fault a failure is. The edge is the first hop the public reaches, so it
// refuses requests whose target it cannot name (item 8), passes forwarding
// fields on only from proxies it trusts (item 3), and tells a client's
// mistake or departure from the origin's failure (item 10).

// frontCounters count what the front door refused or lost, apart from the
// origin's failures.
type frontCounters struct {
	badRequests    atomic.Uint64 // 4xx for the client's own fault (no Host, a malformed body)
	clientGone     atomic.Uint64 // 499: the client left before its answer
	originFailures atomic.Uint64 // 502/503/504: no backend answered usably
	retries        atomic.Uint64 // attempts sent again to another backend (origin.go)
}

// targetProblem says what is wrong with r's target, or "" when the edge
// can forward it. Without a Host, Go's proxy would send the backend's own
// address as Host, and the app would build links to it into a page the
// edge then caches (issue 9, item 8). An absolute-form target (RFC 9112
// §3.2.2) must name this listener's scheme and a host, and no userinfo.
func targetProblem(r *http.Request) string {
	if u := r.URL; u.Scheme != "" || u.Host != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		switch {
		case !strings.EqualFold(u.Scheme, scheme):
			return "this server only answers " + scheme + " targets"
		case u.User != nil:
			return "userinfo in the request target"
		case u.Host == "":
			return "no host in the request target"
		}
	}
	if r.Host == "" {
		return "missing Host field"
	}
	return ""
}

// refuseTarget answers a request whose target the edge will not forward.
func (e *Edge) refuseTarget(w http.ResponseWriter, r *http.Request, status int, problem string) {
	e.front.badRequests.Add(1)
	e.Log.Debug("edge: bad request", "status", status, "method", r.Method, "host", r.Host, "target", r.RequestURI, "reason", problem)
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, problem, status)
}

// hostAllowed reports whether host (a Host field: name, optional port) is
// one of AllowedHosts, or whether any host is.
func (e *Edge) hostAllowed(host string) bool {
	if len(e.AllowedHosts) == 0 {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(strings.TrimSuffix(host, "."), "[]") // an absolute name; an IPv6 literal
	for _, a := range e.AllowedHosts {
		if strings.EqualFold(host, strings.Trim(a, "[]")) {
			return true
		}
	}
	return false
}

// withClientScheme returns r with https as its target's scheme when a
// trusted proxy (a TLS terminator, a CDN) says its client spoke https, so
// the cache keeps the pages the app builds for https (links, canonical
// URLs, Secure cookies' pages) apart from those for http. Anything else is
// returned as it is.
func (e *Edge) withClientScheme(r *http.Request) *http.Request {
	if r.TLS != nil || r.URL.Scheme == "https" || !e.trusts(r) {
		return r
	}
	if !strings.EqualFold(clientaddr.ForwardedProto(r.Header), "https") {
		return r
	}
	g := *r
	u := *r.URL
	u.Scheme = "https"
	g.URL = &u
	return &g
}

// trusts reports whether r's forwarding fields are to be believed: its
// peer is a --trusted-proxies one, or it is a PoP of this store.
func (e *Edge) trusts(r *http.Request) bool {
	return fromPoP(r) || e.TrustedProxies.Contains(clientaddr.PeerAddr(r.RemoteAddr))
}

// setForwarded sets the forwarding fields of out, a request to a backend
// made from in. From a trusted proxy its X-Forwarded-For chain is kept and
// the proxy appended, and its other claims (the scheme the client spoke,
// the host it asked for) are kept; from anyone else every claim is dropped
// and the edge says what it saw itself. That is how, behind a TLS
// terminator, the app knows to mark cookies Secure, and why nobody else
// can make it believe so.
func (e *Edge) setForwarded(in *http.Request, out http.Header) {
	for _, f := range clientaddr.ForwardingHeaders {
		out.Del(f)
	}
	peer := clientaddr.PeerAddr(in.RemoteAddr)
	trusted := e.trusts(in)
	xff := peer.String()
	switch prior := in.Header.Values("X-Forwarded-For"); {
	case fromPoP(in) && len(prior) > 0:
		// A PoP and its shield are one edge to the app: the PoP's chain
		// goes on as it is, so an app that trusts the shield finds the
		// shopper last, not the PoP.
		xff = strings.Join(prior, ", ")
	case trusted && len(prior) > 0:
		xff = strings.Join(prior, ", ") + ", " + xff
	}
	out.Set("X-Forwarded-For", xff)
	if trusted {
		for _, f := range clientaddr.ForwardingHeaders[1:] { // all but X-Forwarded-For
			if v := in.Header.Values(f); len(v) > 0 {
				out[f] = append([]string(nil), v...)
			}
		}
	}
	if out.Get("X-Forwarded-Proto") == "" {
		scheme := "http"
		if in.TLS != nil {
			scheme = "https"
		}
		out.Set("X-Forwarded-Proto", scheme)
	}
	if out.Get("X-Forwarded-Host") == "" {
		out.Set("X-Forwarded-Host", in.Host)
	}
}

// bodyGuard wraps a request body forwarded to a backend and remembers the
// error reading it, so that a failure it caused is blamed on the client.
type bodyGuard struct {
	io.ReadCloser
	err atomic.Pointer[error] // the first read error but EOF; read by the handler after the transport's goroutine set it
}

func (g *bodyGuard) Read(p []byte) (int, error) {
	n, err := g.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		g.err.CompareAndSwap(nil, &err)
	}
	return n, err
}

// readErr is the error reading the body, or nil.
func (g *bodyGuard) readErr() error {
	if p := g.err.Load(); p != nil {
		return *p
	}
	return nil
}

// bodyFailed reports whether reading r's guarded body failed.
func bodyFailed(r *http.Request) bool {
	g, ok := r.Body.(*bodyGuard)
	return ok && g.readErr() != nil
}

// guardBody makes r's body a bodyGuard, when it has one.
func guardBody(r *http.Request) *bodyGuard {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	g := &bodyGuard{ReadCloser: r.Body}
	r.Body = g
	return g
}

// StatusClientClosedRequest is nginx's 499: the client went away before
// its answer. It is logged and counted, never sent: nobody is there, and
// the response is aborted so the server does not complete it as a 200.
const StatusClientClosedRequest = 499

// clientFault reports whether a forward failed through the client's fault,
// and the status that says so: 400 for a body it got wrong (a malformed
// chunk, an oversized chunk extension, a body cut short), 408 for a body
// that did not arrive in time, 413 for one over a limit, 499 when it went
// away. A body error decides before the context: net/http cancels the
// context of a request whose body ended early, though its client may still
// be reading. in is the client's request.
func clientFault(in *http.Request) (int, error, bool) {
	if g, ok := in.Body.(*bodyGuard); ok {
		if err := g.readErr(); err != nil {
			var ne interface{ Timeout() bool }
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				return http.StatusRequestTimeout, err, true
			case errors.As(err, &tooLarge):
				return http.StatusRequestEntityTooLarge, err, true
			}
			return http.StatusBadRequest, err, true
		}
	}
	if err := in.Context().Err(); err != nil {
		return StatusClientClosedRequest, err, true
	}
	return 0, nil, false
}

// passThroughFailed is the ErrorHandler of passThrough's proxy: out is the
// request to the backend. A failure of the client's making is answered as
// such and logged at debug; only the origin's own is a warning and the
// unavailable page.
func (e *Edge) passThroughFailed(w http.ResponseWriter, out *http.Request, err error) {
	in, _ := out.Context().Value(incomingKey{}).(*http.Request)
	if in == nil {
		in = out
	}
	if status, cause, ok := clientFault(in); ok {
		e.clientFailed(w, in, status, cause)
		return
	}
	e.front.originFailures.Add(1)
	e.Log.Warn("edge: origin failed", "method", in.Method, "path", in.URL.Path, "err", err)
	originFailed(w, in, originStatus(err), "agora; fwd=method")
}

// clientFailed answers a request that failed through its client's fault.
func (e *Edge) clientFailed(w http.ResponseWriter, r *http.Request, status int, cause error) {
	if status == StatusClientClosedRequest {
		e.front.clientGone.Add(1)
		e.Log.Debug("edge: client went away", "status", status, "method", r.Method, "path", r.URL.Path, "err", cause)
		panic(http.ErrAbortHandler)
	}
	e.front.badRequests.Add(1)
	e.Log.Debug("edge: bad request body", "status", status, "method", r.Method, "path", r.URL.Path, "err", cause)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "close") // the rest of the body cannot be trusted to frame the next request
	http.Error(w, strings.ToLower(http.StatusText(status))+": the request body could not be read", status)
}

// errClientBody makes ModifyResponse hand a response the backend gave to
// a broken request body to the ErrorHandler, which blames the client.
var errClientBody = errors.New("edge: the request body could not be read")

// headFields makes the fields of a HEAD answer on a miss those a GET
// would have had (RFC 9110 §9.3.2): the origin's Content-Length (no body
// came, so counting it would say 0) and, for a body the edge compresses
// once stored, Vary: Accept-Encoding.
func headFields(h http.Header, r *http.Request, status int) {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 {
		h.Del("Content-Length")
		return
	}
	get := *r
	get.Method = http.MethodGet
	if ok, _ := cache.Storable(&get, status, h); ok && compressibleSize(h, n) {
		addVary(h, "Accept-Encoding")
	}
}

var (
	connsOpenDesc = prometheus.NewDesc("agora_edge_connections_open",
		"Client connections open on the public listener.", nil, nil)
	connsRefusedDesc = prometheus.NewDesc("agora_edge_connections_refused_total",
		"Client connections refused with a 503 at accept, by the cap they were over (--max-conns, --max-conns-per-ip).", []string{"cap"}, nil)
)

// connCollector reports the public listener's connections, while the edge
// serves from a limited one (Edge.Conns).
type connCollector struct{ e *Edge }

var _ prometheus.Collector = connCollector{}

func (c connCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connsOpenDesc
	ch <- connsRefusedDesc
}

func (c connCollector) Collect(ch chan<- prometheus.Metric) {
	l := c.e.Conns
	if l == nil {
		return
	}
	overall, perClient := l.Refused()
	ch <- prometheus.MustNewConstMetric(connsOpenDesc, prometheus.GaugeValue, float64(l.Open()))
	ch <- prometheus.MustNewConstMetric(connsRefusedDesc, prometheus.CounterValue, float64(overall), "max-conns")
	ch <- prometheus.MustNewConstMetric(connsRefusedDesc, prometheus.CounterValue, float64(perClient), "max-conns-per-ip")
}
