package cache

import (
	"net/http"
	"time"
)

// Policy decides what is stored and for how long. The zero value follows
// RFC 9111 with heuristic freshness off and no cap on the stale windows.
type Policy struct {
	// MaxStaleWhileRevalidate and MaxStaleIfError cap the windows an origin
	// asks for (RFC 5861), so an operator can bound how old a page the edge
	// may serve. Zero means no cap.
	MaxStaleWhileRevalidate time.Duration
	MaxStaleIfError         time.Duration
	// Heuristic enables heuristic freshness (RFC 9111 §4.2.2): 10% of the
	// time since Last-Modified, at most a day, for responses without
	// explicit freshness. Off by default: the app states freshness on every
	// page it wants cached.
	Heuristic bool
}

// Reasons a response is not stored, for logs and Cache-Status details.
const (
	ReasonMethod        = "method"
	ReasonRequestNoStor = "request-no-store"
	ReasonStatus        = "status"
	ReasonNoStore       = "no-store"
	ReasonPrivate       = "private"
	ReasonAuthorization = "authorization"
	ReasonSetCookie     = "set-cookie"
	ReasonVaryStar      = "vary-star"
	ReasonPurged        = "purged" // a purge applied during the fetch covers it
)

// cacheableByDefault are the status codes heuristically cacheable (RFC 9110
// §15.1) that this cache stores without explicit freshness. 206 is left
// out: the edge stores whole objects only, and serves ranges from them.
var cacheableByDefault = map[int]bool{
	200: true, 203: true, 204: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// Storable reports whether the response to req may be stored (RFC 9111 §3)
// and, when not, why. Only responses to GET are stored: HEAD shares GET's
// key (see Key) but its response has no body to serve a later GET with.
func Storable(req *http.Request, status int, h http.Header) (ok bool, reason string) {
	if ok, reason := StorableRequest(req); !ok {
		return false, reason
	}
	d, targeted := ResponseDirectives(h)
	switch {
	case status == http.StatusPartialContent || status == http.StatusNotModified || status < 200:
		return false, ReasonStatus
	case !cacheableByDefault[status] && !explicitFreshness(h, d, targeted):
		return false, ReasonStatus
	case d.NoStore:
		return false, ReasonNoStore
	case d.Private:
		return false, ReasonPrivate
	// RFC 9111 §3.5: a shared cache stores an answer to an authenticated
	// request only when the origin says it is fit for everyone.
	case req.Header.Get("Authorization") != "" && !d.Public && d.SMaxAge == Unset && !d.MustRevalidate:
		return false, ReasonAuthorization
	// A cookie set for one visitor must never reach another (DESIGN.md).
	case len(h.Values("Set-Cookie")) > 0:
		return false, ReasonSetCookie
	}
	if _, star := ParseVary(h); star {
		return false, ReasonVaryStar
	}
	return true, ""
}

// StorableRequest reports whether req itself lets its response be stored,
// whatever the response: only a GET without a no-store directive does. A
// request that does not must leave what is stored as it is (RFC 9111
// §5.2.1.5), since it speaks for its own response only.
func StorableRequest(req *http.Request) (ok bool, reason string) {
	switch {
	case req.Method != http.MethodGet:
		return false, ReasonMethod
	case RequestDirectives(req.Header).NoStore:
		return false, ReasonRequestNoStor
	}
	return true, ""
}

func explicitFreshness(h http.Header, d Directives, targeted bool) bool {
	return d.SMaxAge != Unset || d.MaxAge != Unset || (!targeted && h.Get("Expires") != "")
}

// Freshness is what the policy computed for a stored response.
type Freshness struct {
	// Lifetime is the freshness lifetime (RFC 9111 §4.2.1).
	Lifetime time.Duration
	// InitialAge is corrected_initial_age (RFC 9111 §4.2.3): the age the
	// response had when it was received.
	InitialAge time.Duration
	// StaleWhileRevalidate and StaleIfError are the windows after Lifetime
	// during which a stale copy may be served (RFC 5861), capped by Policy.
	StaleWhileRevalidate time.Duration
	StaleIfError         time.Duration
}

// Freshness computes the lifetime, initial age and stale windows of a
// response requested at requestTime and received at responseTime.
func (p Policy) Freshness(status int, h http.Header, requestTime, responseTime time.Time) Freshness {
	d, targeted := ResponseDirectives(h)
	f := Freshness{
		Lifetime:   p.lifetime(status, h, d, targeted, responseTime),
		InitialAge: initialAge(h, requestTime, responseTime),
	}
	// no-cache means "revalidate every time" (RFC 9111 §5.2.2.4), and
	// must-revalidate / proxy-revalidate forbid serving stale at all
	// (§5.2.2.2, §5.2.2.8). s-maxage implies proxy-revalidate (§5.2.2.10),
	// but an explicit stale-* directive is the origin's later, more
	// specific permission (RFC 5861), which is what the app's contract
	// relies on.
	if d.NoCache {
		f.Lifetime = 0
	}
	if d.NoCache || d.MustRevalidate || d.ProxyRevalidate {
		return f
	}
	f.StaleWhileRevalidate = capped(d.StaleWhileRevalidate, p.MaxStaleWhileRevalidate)
	f.StaleIfError = capped(d.StaleIfError, p.MaxStaleIfError)
	return f
}

func capped(v, limit time.Duration) time.Duration {
	if v == Unset {
		return 0
	}
	if limit > 0 && v > limit {
		return limit
	}
	return v
}

// lifetime follows RFC 9111 §4.2.1: s-maxage, then max-age, then
// Expires − Date; Expires is ignored under a targeted field (RFC 9213 §2.1).
func (p Policy) lifetime(status int, h http.Header, d Directives, targeted bool, responseTime time.Time) time.Duration {
	switch {
	case d.SMaxAge != Unset:
		return d.SMaxAge
	case d.MaxAge != Unset:
		return d.MaxAge
	}
	date := headerTime(h, "Date", responseTime)
	if !targeted && h.Get("Expires") != "" {
		// An invalid Expires, such as "0", means already expired (§5.3).
		exp, err := http.ParseTime(h.Get("Expires"))
		if err != nil || !exp.After(date) {
			return 0
		}
		return exp.Sub(date)
	}
	if p.Heuristic && cacheableByDefault[status] && !d.NoCache {
		if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil && date.After(lm) {
			return min(date.Sub(lm)/10, 24*time.Hour)
		}
	}
	return 0
}

// initialAge is corrected_initial_age of RFC 9111 §4.2.3.
func initialAge(h http.Header, requestTime, responseTime time.Time) time.Duration {
	apparent := max(0, responseTime.Sub(headerTime(h, "Date", responseTime)))
	ageValue := deltaOr(h.Get("Age"), 0)
	corrected := ageValue + max(0, responseTime.Sub(requestTime))
	return max(apparent, corrected)
}

func headerTime(h http.Header, name string, fallback time.Time) time.Time {
	t, err := http.ParseTime(h.Get(name))
	if err != nil {
		return fallback
	}
	return t
}

// State is what a stored response may be used for at some instant.
type State int

const (
	// Fresh: serve it.
	Fresh State = iota
	// StaleRevalidate: serve it and refresh it in the background (RFC 5861
	// §3), or a soft-purged entry (DESIGN.md, "Tags").
	StaleRevalidate
	// StaleIfError: serve it only if the origin fails (RFC 5861 §4).
	StaleIfError
	// Stale: revalidate or fetch before serving.
	Stale
)

func (s State) String() string {
	return [...]string{"fresh", "stale-while-revalidate", "stale-if-error", "stale"}[s]
}

// Age is current_age (RFC 9111 §4.2.3) at now, for a response received at
// responseTime; never negative, even if the clock steps back.
func (f Freshness) Age(responseTime, now time.Time) time.Duration {
	return f.InitialAge + max(0, now.Sub(responseTime))
}

// State classifies a response received at responseTime at instant now.
func (f Freshness) State(responseTime, now time.Time) State {
	age := f.Age(responseTime, now)
	switch {
	case age < f.Lifetime:
		return Fresh
	case age < f.Lifetime+f.StaleWhileRevalidate:
		return StaleRevalidate
	case age < f.Lifetime+f.StaleIfError:
		return StaleIfError
	}
	return Stale
}
