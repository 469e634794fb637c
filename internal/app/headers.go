package app

import (
	"net/http"
	"strings"
)

// Header values are shared, pre-built slices: assigning them to a header
// map costs no allocation per response. Nothing modifies header values in
// place (Set replaces, Add appends to a full slice and so copies).
var (
	privateNoStore = []string{"private, no-store"}
	nosniff        = []string{"nosniff"}
	// The storefront loads scripts, styles, images and fonts from its own
	// origin only (JSON-LD data blocks are not scripts to CSP); forms post
	// to it; nothing may frame it.
	contentSecurityPolicy = []string{"default-src 'self'; img-src 'self' data:; object-src 'none'; " +
		"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"}
	frameDeny      = []string{"DENY"}
	referrerPolicy = []string{"strict-origin-when-cross-origin"}
	// retryAfter is the default Retry-After of a 503, in seconds: about
	// what a database restart or failover takes (issue 10).
	retryAfter = []string{"2"}
)

// applyDefaults completes a response's header just before it is sent:
//   - Cache-Control "private, no-store" when the handler chose none, so a
//     response is only ever shared by caches when its handler said so
//     (DESIGN.md: "private by default");
//   - nosniff on everything, so a browser never reads a text or JSON answer
//     as HTML or script;
//   - on HTML (or when the type is unknown), a same-origin-only Content
//     Security Policy unless the handler set one (the card payment page
//     allows Stripe's origins, issue 14), no framing (clickjacking) and a referrer policy that
//     keeps search queries in URLs from leaking to other sites;
//   - Retry-After on a 503 whose handler gave none: every 503 here means
//     "try again shortly" (the database is restarting, the instance is
//     draining, a limit is full), and clients and the edge's retry logic
//     read the header (RFC 9110 §10.2.3).
func applyDefaults(h http.Header, status int) {
	if _, ok := h["Cache-Control"]; !ok {
		h["Cache-Control"] = privateNoStore
	}
	h["X-Content-Type-Options"] = nosniff
	if ct := h.Get("Content-Type"); ct == "" || strings.HasPrefix(ct, "text/html") {
		if _, ok := h["Content-Security-Policy"]; !ok {
			// Only the card payment page sets its own (storefront.StripeCSP).
			h["Content-Security-Policy"] = contentSecurityPolicy
		}
		h["X-Frame-Options"] = frameDeny
		h["Referrer-Policy"] = referrerPolicy
	}
	if status == http.StatusServiceUnavailable {
		if _, ok := h["Retry-After"]; !ok {
			h["Retry-After"] = retryAfter
		}
	}
}
