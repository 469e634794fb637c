package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rule is one class's limit: a token bucket that refills Rate tokens a
// second up to Burst, each request taking one. The zero Rule is off.
type Rule struct {
	Rate  float64 // tokens a second
	Burst float64 // the bucket's size: requests a client may make at once
}

// Off reports whether the rule limits nothing.
func (r Rule) Off() bool { return r.Rate <= 0 || r.Burst < 1 }

// String gives the rule as ParseRule reads it.
func (r Rule) String() string {
	if r.Off() {
		return "off"
	}
	rate, unit := r.Rate, "s"
	if rate < 1 {
		rate, unit = rate*60, "m"
	}
	if rate < 1 {
		rate, unit = rate*60, "h"
	}
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/" + unit + ",burst=" + strconv.FormatFloat(r.Burst, 'f', -1, 64)
}

// Defaults are limits a real shopper does not reach, per client address.
// Pages counts only requests the fast hit path does not answer (misses,
// conditionals, stale pages): those cost the app tier; a plain hit costs
// microseconds and is bounded by the connection caps instead. A shop
// behind one NAT (an office, a mobile carrier) shares one address, so
// browsing limits are generous; logins and registrations are not, since
// each one costs a password hash (argon2id) at the app.
var Defaults = map[Class]Rule{
	Pages:    {Rate: 20, Burst: 100},
	Search:   {Rate: 5, Burst: 30},
	Cart:     {Rate: 5, Burst: 30},
	Login:    {Rate: 20.0 / 60, Burst: 10},
	Register: {Rate: 10.0 / 60, Burst: 5},
	Checkout: {Rate: 20.0 / 60, Burst: 10},
}

// ParseRule reads "N/s", "N/m" or "N/h", optionally followed by
// ",burst=M" (default: N per second or per minute, at least 1), or "off".
// Examples: "20/s,burst=100", "10/m", "off".
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Rule{}, nil
	}
	rate, opts, _ := strings.Cut(s, ",")
	n, unit, ok := strings.Cut(rate, "/")
	count, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if !ok || err != nil || count <= 0 || count > 1e9 {
		return Rule{}, fmt.Errorf("ratelimit: %q: want N/s, N/m or N/h with N > 0, then optionally ,burst=M (20/s,burst=100), or off", s)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return Rule{}, fmt.Errorf("ratelimit: %q: the unit after / is s, m or h", s)
	}
	r := Rule{Rate: count / per.Seconds(), Burst: max(1, count)}
	if opts = strings.TrimSpace(opts); opts != "" {
		v, ok := strings.CutPrefix(opts, "burst=")
		b, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || b < 1 || b > 1e9 {
			return Rule{}, fmt.Errorf("ratelimit: %q: after the rate, only ,burst=M with M >= 1", s)
		}
		r.Burst = b
	}
	return r, nil
}
