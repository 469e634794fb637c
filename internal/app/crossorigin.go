package app

import (
	"fmt"
	"net/http"
	"strings"

	"agora/internal/api"
	"agora/internal/fault"
)

// crossOrigin refuses unsafe requests (POST, PUT, PATCH, DELETE) that a
// browser sends on behalf of another site (CSRF), from Sec-Fetch-Site or
// Origin (DESIGN.md: no per-user tokens, so forms can live on cached pages).
// PublicURL is trusted too, for proxies that rewrite Host.
func (s *Server) crossOrigin() (*http.CrossOriginProtection, error) {
	cop := http.NewCrossOriginProtection()
	if s.cfg.PublicURL != "" {
		// "https://shop.example/" is the same origin; AddTrustedOrigin wants no path.
		if err := cop.AddTrustedOrigin(strings.TrimSuffix(s.cfg.PublicURL, "/")); err != nil {
			return nil, fmt.Errorf("app: public URL %q is not an origin (scheme://host[:port]): %w", s.cfg.PublicURL, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const msg = "This request came from another site and was refused."
		if isAPI(r) {
			api.WriteError(w, r, s.log, fault.New(fault.Forbidden, msg))
			return
		}
		plain(w, http.StatusForbidden, msg)
	}))
	return cop, nil
}
