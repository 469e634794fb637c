// Package page holds the helpers that the two HTML front ends, the
// storefront and the admin, share: forms and the errors shown next to their
// inputs (form.go), render buffers (buffer.go) and redirects that cannot
// leave the site (redirect.go).
//
// It knows nothing of either front end's templates, routes or sessions, and
// must not: each front end keeps its own pages and layout.
package page
