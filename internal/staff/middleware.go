package staff

import (
	"cmp"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/page"
	"agora/internal/store"
)

type ctxKey struct{}

// From returns the staff member RequireAPI or RequireUI let through.
func From(ctx context.Context) (Staff, bool) {
	st, ok := ctx.Value(ctxKey{}).(Staff)
	return st, ok
}

// realm names the protection space in WWW-Authenticate (RFC 6750 §3).
const realm = `Bearer realm="agora-admin"`

var errNoCredentials = fault.New(fault.Unauthorized, "This endpoint needs an API key: send it as Authorization: Bearer <key>.")

// RequireAPI serves next only to a request with a live API key whose staff
// role holds p ("" = any staff member), with the staff member in the
// context (From). Every request reads the key from the database: a revoked
// key fails on its very next request. It answers JSON errors in the API's
// shape: 401 unauthorized without a key or with a bad one, 403 forbidden
// without the permission, and the matching WWW-Authenticate (RFC 6750 §3).
func (s *Service) RequireAPI(p Perm, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", realm)
			s.writeJSONError(w, r, errNoCredentials)
			return
		}
		st, err := s.ByAPIKey(r.Context(), key)
		if err != nil {
			if fault.CodeOf(err) == fault.Unauthorized {
				w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
			}
			s.writeJSONError(w, r, err)
			return
		}
		if !Allowed(st.Role, p) {
			s.log().InfoContext(r.Context(), "staff: forbidden", "staff_id", st.ID, "role", st.Role, "perm", p, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope"`)
			s.writeJSONError(w, r, fault.New(fault.Forbidden, "This needs the %s permission, which the %s role does not have.", p, st.Role))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

// bearer returns the credentials of an "Authorization: Bearer …" header
// (the scheme is case-insensitive, RFC 9110 §11.1).
func bearer(r *http.Request) (string, bool) {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", false
	}
	return cred, true
}

// writeJSONError answers err as {"error":{"code","message"}}, like
// internal/api (which imports this package, so cannot be imported here).
func (s *Service) writeJSONError(w http.ResponseWriter, r *http.Request, err error) {
	err = store.Unavailable(err) // a lost database is 503 wherever it surfaced
	code := fault.CodeOf(err)
	status := fault.Status(code)
	if status >= 500 {
		s.log().ErrorContext(r.Context(), "staff: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	cachehdr.SetPrivate(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]map[string]string{
		"error": {"code": string(code), "message": fault.MessageOf(err)},
	})
}

// LoginPath is where RequireUI sends a browser without a session.
const LoginPath = "/admin/login"

// RequireUI serves next only to a browser with a live admin session whose
// role holds p ("" = any staff member), with the staff member in the
// context (From). Without a session it redirects (303) to LoginPath with
// the page asked for in ?next= (for GET and HEAD; other methods come back
// to /admin). Without the permission it answers 403 with s.Forbidden. Never
// wrap LoginPath itself.
func (s *Service) RequireUI(p Perm, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cachehdr.SetPrivate(w.Header())
		st, err := s.FromSession(r)
		switch {
		case fault.CodeOf(err) == fault.Unauthorized:
			to := LoginPath
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		case err != nil:
			s.log().ErrorContext(r.Context(), "staff: request failed", "method", r.Method, "path", r.URL.Path, "status", 500, "err", err)
			writePage(w, http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment.")
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, st)
		if !Allowed(st.Role, p) {
			s.log().InfoContext(ctx, "staff: forbidden", "staff_id", st.ID, "role", st.Role, "perm", p, "path", r.URL.Path)
			if s.Forbidden != nil {
				s.Forbidden.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			writePage(w, http.StatusForbidden, "Your role does not allow this page. Ask an owner if you need it.")
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var plainPage = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Admin</title><p>{{.}}</p><p><a href="/admin">Back to the admin</a></p></html>
`))

func writePage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = plainPage.Execute(w, msg)
}

// NextPath returns raw (a ?next= value) when it is a path inside the admin,
// else "/admin": a login form that redirects to it can never send a
// browser to another site (open redirect; page.LocalPath says what passes).
func NextPath(raw string) string {
	return cmp.Or(page.LocalPath(raw, "/admin"), "/admin")
}
