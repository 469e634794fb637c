package main

import (
	"flag"
	"fmt"
	"time"

	"agora/internal/clientaddr"
	"agora/internal/edge"
	"agora/internal/edge/ratelimit"
)

// rateLimitFlags are the edge's per-client limits (issue 12): one flag per
// route class, and how often edges reconcile them.
type rateLimitFlags struct {
	rules     map[ratelimit.Class]ratelimit.Rule
	syncEvery time.Duration
	exempt    string // clientaddr.Parse list
}

// ruleValue is a flag.Value for one class's rule.
type ruleValue struct {
	rules map[ratelimit.Class]ratelimit.Rule
	class ratelimit.Class
}

func (v ruleValue) String() string {
	if v.rules == nil {
		return ""
	}
	return v.rules[v.class].String()
}

func (v ruleValue) Set(s string) error {
	r, err := ratelimit.ParseRule(s)
	if err != nil {
		return err
	}
	v.rules[v.class] = r
	return nil
}

var rateLimitUsage = map[ratelimit.Class]string{
	ratelimit.Pages:    "GET/HEAD of pages and the API that the fast hit path does not answer (misses, conditionals, stale pages; plain hits are not counted; /static/ and /media/ never)",
	ratelimit.Search:   "searches: /search and /api/v1/products?q= (hits excepted, as for pages)",
	ratelimit.Cart:     "cart changes: POST /cart/items…, POST/PATCH/DELETE /api/v1/cart/items…",
	ratelimit.Login:    "logins and password resets: POST /account/login, /admin/login, /api/v1/session, /account/reset…, /api/v1/password-reset…",
	ratelimit.Register: "registrations: POST /account/register, /api/v1/customers",
	ratelimit.Checkout: "orders placed: POST /checkout, /api/v1/checkout",
}

func (f *rateLimitFlags) register(fs *flag.FlagSet) {
	f.rules = map[ratelimit.Class]ratelimit.Rule{}
	for _, c := range ratelimit.Classes {
		f.rules[c] = ratelimit.Defaults[c]
		fs.Var(ruleValue{f.rules, c}, "rate-limit-"+c.String(),
			"per client address, "+rateLimitUsage[c]+": N/s, N/m or N/h with an optional ,burst=M (requests at once), or off; over it, 429 with Retry-After")
	}
	fs.StringVar(&f.exempt, "rate-limit-exempt", "loopback", "client addresses no rate limit applies to, as --trusted-proxies lists them (addresses, CIDR prefixes, loopback, private, none); the default spares local tools (the load tool, checks) on the edge's own machine")
	fs.DurationVar(&f.syncEvery, "rate-limit-sync", ratelimit.DefaultSyncEvery, "how often the edge reconciles its rate limits with the other edges through the app tier (needs --cluster-secret); within one period N edges may let a client through N times its burst; 0: each edge limits alone")
}

func (f *rateLimitFlags) check() error {
	if f.syncEvery < 0 {
		return fmt.Errorf("%w: --rate-limit-sync must not be negative (0: no sync)", errUsage)
	}
	if _, err := clientaddr.Parse(f.exempt); err != nil {
		return fmt.Errorf("%w: --rate-limit-exempt: %v", errUsage, err)
	}
	return nil
}

// limiter makes e's rate limiter, or nil when every class is off.
func (f *rateLimitFlags) limiter(env *cmdEnv, e *edge.Edge, secret string) *ratelimit.Limiter {
	on := false
	for _, r := range f.rules {
		on = on || !r.Off()
	}
	if !on {
		return nil
	}
	exempt, _ := clientaddr.Parse(f.exempt) // checked by check
	l := &ratelimit.Limiter{Rules: f.rules, SyncEvery: f.syncEvery, Exempt: exempt.Contains, Log: env.log}
	if secret != "" && f.syncEvery > 0 {
		l.Sync = e.SyncRateLimits(secret)
	}
	return l
}
