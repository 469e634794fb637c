// Package cache is the edge's HTTP cache library (DESIGN.md, "Full-page
// cache"): it parses cache directives, computes cache keys, decides what is
// storable and for how long (RFC 9111, RFC 5861, RFC 9213) and holds stored
// responses in a byte-bounded store with a tag index for purges.
//
// It owns no network code: the edge proxy builds on this API. It must not
// depend on any other Agora package.
package cache
