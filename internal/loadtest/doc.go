// Package loadtest drives a store with open-loop, constant-rate load in a
// shopper mix and records every request it plans: when it was planned and
// sent, what it asked, what came back, how long it took, and why it failed.
//
// Open loop means requests leave on a schedule, never waiting for earlier
// answers: a slow or dying backend cannot slow the load down and hide its
// own failures, which a closed loop (wrk, one request per connection after
// another) does. The schedule comes from vegeta's ConstantPacer; the rest is
// our own because vegeta's Attacker fits neither a stateful shopper (a cart
// needs the shopper's cookie, a checkout the cart before it) nor the error
// classification we need (it keeps a result's error as a string, so a reset
// cannot be told from a refused connection) nor an honest count when it runs
// out of workers (it blocks the schedule instead of saying so).
//
// The package talks to a store only over HTTP (the JSON API and the public
// pages); it must not import the store's own packages, so it measures what
// a shopper would see, through an edge or directly on an app.
package loadtest
