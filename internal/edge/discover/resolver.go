// Package discover builds the edge's backend pool from DNS (issue 10):
// the A/AAAA records of a name (a Kubernetes headless service) or its SRV
// records, re-resolved on an interval, with any static URLs alongside. It
// owns the lookups and the last known answer of each name; what happens to
// a backend that joins or leaves (health checks, draining) is the pool's
// (internal/edge/balance).
//
// A DNS blip must not take the store down: a lookup that fails or comes
// back empty keeps the name's last known backends, so the pool is never
// emptied by DNS. A backend leaves only when a lookup that worked no
// longer lists it, and then drains: its requests in flight finish.
package discover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"agora/internal/edge/balance"
)

// Defaults for zero Resolver fields.
const (
	// DefaultInterval: a pod's address is in the pool within about 5 s of
	// being listed (CoreDNS's own cache for a service is 5 s by default).
	DefaultInterval = 5 * time.Second
	// DefaultTimeout bounds one name's lookup, SRV targets included.
	DefaultTimeout = 5 * time.Second
	// jitter spreads each interval by up to ± this fraction, so many
	// edges do not ask the DNS server in step.
	jitter = 0.1
)

// errEmpty: the server answered, with no address. Kubernetes does this for
// a headless service with no ready pod; it is treated like a failure,
// because emptying the pool would fail every request rather than some.
var errEmpty = errors.New("no address in the answer")

// Resolver keeps Pool's set equal to Static plus the addresses of Targets.
// Set its fields, call Refresh once, then Run. Safe for concurrent use.
type Resolver struct {
	// Pool receives the set on every change. Required.
	Pool *balance.Pool
	// Targets are the names looked up; Static, backends always in the set.
	Targets []Target
	Static  []*url.URL
	// Interval between lookups, jittered by ±10 %; if 0, DefaultInterval.
	Interval time.Duration
	// Timeout bounds one name's lookup; if 0, DefaultTimeout.
	Timeout time.Duration
	// Server, when set, is the DNS server (host:port) asked instead of
	// the system's (/etc/resolv.conf): for tests, and for operators whose
	// cluster DNS is not the host's.
	Server string
	// Log tells changes and failures; if nil, slog.Default().
	Log *slog.Logger
	// Now stamps the lookups; if nil, time.Now.
	Now func() time.Time

	initOnce sync.Once
	dns      *net.Resolver

	refreshMu sync.Mutex // serialises Refresh: one round of lookups at a time

	mu    sync.Mutex  // protects names and set
	names []nameState // one per target, in Targets' order
	set   []string    // the URLs last given to Pool, in order
}

// nameState is what is known of one target.
type nameState struct {
	urls     []*url.URL // the last answer that listed any
	resolved time.Time  // when that answer came
	err      error      // of the current streak of failures; nil when the last lookup worked
	failures int        // lookups failed in a row
}

func (r *Resolver) init() {
	r.initOnce.Do(func() {
		if r.Interval <= 0 {
			r.Interval = DefaultInterval
		}
		if r.Timeout <= 0 {
			r.Timeout = DefaultTimeout
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		r.dns = net.DefaultResolver
		if r.Server != "" {
			// Go's own resolver, with every query sent to Server over the
			// network it asks for (UDP, TCP after a truncated answer).
			var d net.Dialer
			r.dns = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, r.Server)
			}}
		}
		r.names = make([]nameState, len(r.Targets))
	})
}

// Run looks the targets up every Interval until ctx ends.
func (r *Resolver) Run(ctx context.Context) {
	r.init()
	t := time.NewTimer(r.next())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_ = r.Refresh(ctx) // failures are logged and kept in Status
		t.Reset(r.next())
	}
}

func (r *Resolver) next() time.Duration {
	return time.Duration(float64(r.Interval) * (1 + jitter*(2*rand.Float64()-1)))
}

// Refresh looks every target up once and gives Pool the new set if it
// changed. A target whose lookup fails or is empty keeps its last known
// backends; the error returned joins those failures.
func (r *Resolver) Refresh(ctx context.Context) error {
	r.init()
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	answers := make([][]*url.URL, len(r.Targets))
	errs := make([]error, len(r.Targets))
	var wg sync.WaitGroup
	for i, t := range r.Targets {
		wg.Go(func() { answers[i], errs[i] = r.lookup(ctx, t) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not a DNS failure
	}

	r.mu.Lock()
	now := r.Now()
	for i, t := range r.Targets {
		r.record(t, &r.names[i], answers[i], errs[i], now)
	}
	next := slices.Clone(r.Static)
	for _, n := range r.names {
		next = append(next, n.urls...)
	}
	next = unique(next)
	keys := make([]string, len(next))
	for i, u := range next {
		keys[i] = u.String()
	}
	// An empty set is never given: it is only ever the start with every
	// lookup failed, and the pool is empty then anyway.
	changed := len(next) > 0 && !slices.Equal(keys, r.set)
	if changed {
		r.Log.Info("discover: backends changed", "backends", len(next), "added", diff(keys, r.set), "removed", diff(r.set, keys))
		r.set = keys
	}
	r.mu.Unlock()
	if changed {
		// Outside r.mu, so Status does not wait on the pool; refreshMu
		// keeps the sets in order.
		r.Pool.Set(next)
	}
	return errors.Join(errs...)
}

// record updates one target's state with a lookup's outcome and logs the
// start and end of a streak of failures, not every failed tick. The
// caller holds r.mu.
func (r *Resolver) record(t Target, n *nameState, urls []*url.URL, err error, now time.Time) {
	if err == nil {
		if n.failures > 0 {
			r.Log.Info("discover: lookups work again", "name", t.String(), "failures", n.failures, "backends", len(urls))
		}
		n.urls, n.resolved, n.err, n.failures = urls, now, nil, 0
		return
	}
	n.err = err
	n.failures++
	switch {
	case n.failures > 1:
	case len(n.urls) == 0:
		// The edge starts anyway (see cmd/agora): requests get 503 until a
		// lookup answers, which beats a crash loop while pods start.
		r.Log.Warn("discover: no backends from DNS yet; retrying", "name", t.String(), "every", r.Interval, "err", err)
	default:
		r.Log.Warn("discover: lookup failed; keeping the last known backends", "name", t.String(), "backends", len(n.urls), "err", err)
	}
}

// lookup asks DNS for t's backends, sorted.
func (r *Resolver) lookup(ctx context.Context, t Target) ([]*url.URL, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	if !t.SRV {
		return r.addresses(ctx, t.Name, t.Port)
	}
	// Priorities and weights are not followed: every target is a backend,
	// and the pool spreads the load by health and in-flight requests.
	_, srvs, err := r.dns.LookupSRV(ctx, "", "", t.Name)
	if err != nil {
		return nil, r.named(err)
	}
	var out []*url.URL
	for _, s := range srvs {
		if s.Target == "." || s.Port == 0 { // RFC 2782: "." means no such service here
			continue
		}
		// One target failing fails the name: keeping the last answer
		// beats dropping a backend on a blip.
		urls, err := r.addresses(ctx, s.Target, s.Port)
		if err != nil {
			return nil, fmt.Errorf("SRV target %s: %w", s.Target, err)
		}
		out = append(out, urls...)
	}
	if len(out) == 0 {
		return nil, errEmpty
	}
	return unique(out), nil
}

// addresses are the backends at name's A and AAAA addresses on port.
func (r *Resolver) addresses(ctx context.Context, name string, port uint16) ([]*url.URL, error) {
	ips, err := r.dns.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, r.named(err)
	}
	if len(ips) == 0 {
		return nil, errEmpty
	}
	out := make([]*url.URL, len(ips))
	for i, ip := range ips {
		// AddrPort brackets IPv6: http://[2001:db8::1]:8080.
		out[i] = &url.URL{Scheme: "http", Host: netip.AddrPortFrom(ip.Unmap(), port).String()}
	}
	slices.SortFunc(out, func(a, b *url.URL) int { return strings.Compare(a.Host, b.Host) })
	return unique(out), nil
}

// named makes a lookup error name the server asked: with Server set, Go's
// resolver still names the first server of /etc/resolv.conf, which was
// not asked and would send an operator the wrong way.
func (r *Resolver) named(err error) error {
	var de *net.DNSError
	if r.Server == "" || !errors.As(err, &de) {
		return err
	}
	c := *de
	c.Server = r.Server
	return &c
}

// unique drops repeated URLs, keeping the first of each.
func unique(us []*url.URL) []*url.URL {
	seen := make(map[string]bool, len(us))
	return slices.DeleteFunc(us, func(u *url.URL) bool {
		k := u.String()
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

// diff is what of a is not in b.
func diff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
