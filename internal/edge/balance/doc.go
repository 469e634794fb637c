// Package balance spreads the edge's requests over a pool of app backends
// and hides the failure of any one of them (issue 10). It owns the set of
// backends and everything known about each: health, outlier ejection,
// draining, slow start, in-flight requests, latency. It chooses a backend
// for a request; it does not send the request, retry it or answer the
// client: that is the edge's job, which reports each attempt's outcome back
// (Backend.Acquire / Backend.Release) and asks the RetryBudget before a
// retry.
//
// What a backend goes through:
//
//   - Joining: a backend added by Pool.Set takes no requests until it has
//     passed Rise active checks (when checks are on).
//   - Healthy, slow-starting: its weight ramps from MinWeight to 1 over
//     the SlowStart window after it joins or recovers (Envoy's slow start).
//   - Unhealthy: Fall active checks of GET /readyz failed in a row
//     (HAProxy's inter 2 s, rise 2, fall 3, spread-checks jitter).
//   - Ejected: consecutive failed requests reported by the edge eject it for
//     BaseEjection × times ejected, capped, never more than a fraction of the
//     pool at once; a passing active check or the end of the ejection brings
//     it back (Envoy's outlier detection).
//   - Draining: removed from the set; no new requests, in-flight ones finish
//     (Backend.Wait tells when it is idle).
//   - Held: an operator took it out (Pool.Hold, the edge's drain API); it
//     drains as above but stays a member, still checked, and Set does not
//     bring it back, even after dropping and re-adding its URL, until
//     Pool.Unhold.
//
// When no member is available at all, a database blip having failed
// /readyz everywhere at once, Pick keeps routing to the members that were
// known up rather than to none, and says so (Envoy's panic mode).
//
// Policies (policy.go): least request over two random choices with a peak
// EWMA of latency (the default, as Linkerd and Finagle), round robin, and
// rendezvous hashing on a key. Retries are bounded by a RetryBudget: retries
// in flight stay under a fraction of active requests (Envoy's and Linkerd's
// retry budgets), so retries cannot amplify an outage.
//
// References: HAProxy "Health checks" (inter, rise, fall, spread-checks);
// Envoy "Outlier detection", "Slow start mode", "Panic threshold",
// "Retry budgets"; Linkerd "Retries and timeouts" (retry budgets) and its
// peak-EWMA balancer; Thaler and Ravishankar, "Using name-based mappings to
// increase hit rates" (rendezvous hashing); Mitzenmacher, "The power of two
// choices in randomized load balancing".
package balance
