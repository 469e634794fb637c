package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"agora/internal/edge/tlsserve"
)

// tlsFlags are the public listener's TLS settings, for `agora edge` and
// `agora up`. Certificates come from files (--tls-cert, --tls-key);
// ACME's flags belong beside these and supply getCertificate instead.
type tlsFlags struct {
	cert, key  string
	httpListen string
	hsts       string
	http3      bool
}

func (f *tlsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cert, "tls-cert", "", "serve HTTPS (HTTP/2 and HTTP/1.1) on --listen with this PEM certificate chain; read again within 10 s when the file changes (a renewal needs no restart; a pair that does not load is logged and the old one keeps serving). Needs --tls-key")
	fs.StringVar(&f.key, "tls-key", "", "the PEM private key of --tls-cert")
	fs.StringVar(&f.httpListen, "http-listen", "", "with TLS, also listen for plain HTTP here (such as :80) and redirect every request to https on the same host (301; 308 for other methods than GET and HEAD). Empty: no plain-HTTP listener")
	fs.BoolVar(&f.http3, "http3", false, "with TLS, also serve HTTP/3 (QUIC) on UDP of --listen's port, same certificates and cache, announced by Alt-Svc on the HTTPS responses; clients that cannot reach UDP stay on HTTP/2. Open UDP in the firewall")
	fs.StringVar(&f.hsts, "hsts", tlsserve.DefaultHSTS, "Strict-Transport-Security sent on every HTTPS response: max-age=SECONDS[; includeSubDomains][; preload], or off")
}

// enabled reports whether the certificate comes from files.
func (f *tlsFlags) enabled() bool { return f.cert != "" || f.key != "" }

// check validates the flags before anything starts; withACME says
// --acme-domains is set (certificates from a CA instead of files).
func (f *tlsFlags) check(withACME bool) error {
	if (f.cert == "") != (f.key == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	if !f.enabled() && !withACME && f.httpListen != "" {
		return fmt.Errorf("%w: --http-listen redirects to HTTPS, so it needs --tls-cert and --tls-key, or --acme-domains", errUsage)
	}
	if !f.enabled() && !withACME && f.http3 {
		return fmt.Errorf("%w: --http3 runs over TLS, so it needs --tls-cert and --tls-key, or --acme-domains", errUsage)
	}
	if _, err := tlsserve.ParseHSTS(f.hsts); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if f.httpListen != "" {
		if _, _, err := net.SplitHostPort(f.httpListen); err != nil {
			return fmt.Errorf("%w: --http-listen %q: %v", errUsage, f.httpListen, err)
		}
	}
	return nil
}

// edgeTLS is what serveEdge needs to serve the public listener over TLS.
type edgeTLS struct {
	config *tls.Config
	fields tlsserve.Fields // HSTS, on every TLS response; Alt-Svc is added once the port is known
	// http3 serves HTTP/3 on UDP of the public listener's port.
	http3 bool
	// httpListen, if set, is the plain-HTTP redirect listener's address;
	// wrapHTTP, if set, wraps its handler (ACME's HTTP-01 challenge answers
	// first).
	httpListen string
	wrapHTTP   func(http.Handler) http.Handler
	// run keeps the certificate current until ctx ends (the files' reload).
	run func(ctx context.Context)
	// acme, if set, supplies the certificates; serveEdge starts it once
	// the listeners are bound.
	acme *acmeSetup
}

// build loads the certificate pair (an error stops the edge from starting:
// it has nothing to serve with), or takes the ACME setup (checked by
// acmeFlags.check), and makes the TLS setup; nil without TLS.
func (f *tlsFlags) build(log *slog.Logger, acme *acmeSetup) (*edgeTLS, error) {
	hsts, _ := tlsserve.ParseHSTS(f.hsts) // checked
	var t *edgeTLS
	switch {
	case acme != nil:
		t = &edgeTLS{
			config:     tlsserve.NewTLSConfig(acme.getCertificate, true),
			httpListen: f.httpListen,
			wrapHTTP:   acme.httpHandler,
			acme:       acme,
		}
		// TLS-ALPN-01: the CA's check offers only acme-tls/1.
		t.config.NextProtos = append(t.config.NextProtos, acmeTLS1)
	case f.enabled():
		fc, err := tlsserve.LoadFileCert(f.cert, f.key, log)
		if err != nil {
			return nil, fmt.Errorf("%w: --tls-cert/--tls-key: %v", errUsage, err)
		}
		t = &edgeTLS{
			config:     tlsserve.NewTLSConfig(fc.GetCertificate, true),
			httpListen: f.httpListen,
			run:        func(ctx context.Context) { fc.Run(ctx, 0) },
		}
	default:
		return nil, nil
	}
	t.fields.Add("Strict-Transport-Security", hsts)
	t.http3 = f.http3
	return t, nil
}
