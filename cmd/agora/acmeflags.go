package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/caddyserver/certmagic"

	"agora/internal/edge"
	"agora/internal/edge/acme"
)

// acmeFlags are the flags of automatic certificates (issue 12), for
// `agora edge` and `agora up`.
type acmeFlags struct {
	domains, email, ca, caRoot, storageDir string
}

func (a *acmeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.domains, "acme-domains", "", "get and renew TLS certificates for these names automatically from an ACME CA (Let's Encrypt by default), comma separated (shop.example,www.shop.example); the public listener then speaks TLS. Their DNS must point at the edges: the CA checks on port 443 (TLS-ALPN-01) or 80 (HTTP-01)")
	fs.StringVar(&a.email, "acme-email", "", "the ACME account's e-mail address, where the CA warns of expiring certificates (required with --acme-domains)")
	fs.StringVar(&a.ca, "acme-ca", acme.LetsEncryptProduction, "ACME directory URL; Let's Encrypt's staging, for trying a setup without its production rate limits (certificates browsers do not trust): "+acme.LetsEncryptStaging)
	fs.StringVar(&a.caRoot, "acme-ca-root", "", "PEM file of the root certificates to trust when talking to the ACME CA, for a private or test CA such as pebble (empty: the system's roots)")
	fs.StringVar(&a.storageDir, "acme-storage", "", "directory for ACME accounts, certificates and locks, shared by every edge (an NFS mount, a shared volume); empty: the app tier's database, through its internal API and --cluster-secret")
}

// acmeSetup is checked ACME configuration, ready to start.
type acmeSetup struct {
	domains        []string
	email, ca, dir string
	roots          *x509.CertPool
	remote         *acme.Remote // set by start when the app tier keeps the storage
	manager        *acme.Manager
}

// check reads the flags; nil without --acme-domains. tlsCert is
// --tls-cert: a certificate comes from files or from ACME, not both.
// haveSecret says a cluster secret is set: the default storage needs it.
func (a *acmeFlags) check(tlsCert string, haveSecret bool) (*acmeSetup, error) {
	if a.domains == "" {
		if a.email != "" || a.caRoot != "" || a.storageDir != "" || a.ca != acme.LetsEncryptProduction {
			return nil, fmt.Errorf("%w: --acme-email, --acme-ca, --acme-ca-root and --acme-storage need --acme-domains", errUsage)
		}
		return nil, nil
	}
	if tlsCert != "" {
		return nil, fmt.Errorf("%w: --acme-domains and --tls-cert both give the certificate: choose one", errUsage)
	}
	domains, err := acme.ParseDomains(a.domains)
	if err != nil {
		return nil, fmt.Errorf("%w: --acme-domains: %v", errUsage, err)
	}
	if a.email == "" {
		return nil, fmt.Errorf("%w: --acme-domains needs --acme-email: the CA writes there about expiring certificates", errUsage)
	}
	if u, err := url.Parse(a.ca); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: --acme-ca %q: want the https:// URL of an ACME directory (RFC 8555 §6.1), such as %s", errUsage, a.ca, acme.LetsEncryptStaging)
	}
	s := &acmeSetup{domains: domains, email: a.email, ca: a.ca, dir: a.storageDir}
	if a.caRoot != "" {
		pem, err := os.ReadFile(a.caRoot)
		if err != nil {
			return nil, fmt.Errorf("%w: --acme-ca-root: %v", errUsage, err)
		}
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: --acme-ca-root %s: no PEM certificate in it", errUsage, a.caRoot)
		}
	}
	if s.dir == "" && !haveSecret {
		return nil, fmt.Errorf("%w: --acme-domains needs a storage shared by the edges: --cluster-secret (the app tier's database) or --acme-storage DIR", errUsage)
	}
	return s, nil
}

// acmeTLS1 is the ALPN protocol of TLS-ALPN-01 challenges (RFC 8737).
const acmeTLS1 = "acme-tls/1"

// getCertificate is for the TLS config, which exists before start: the
// manager's certificate once started.
func (s *acmeSetup) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	m := s.manager
	if m == nil {
		return nil, errors.New("acme: not started yet")
	}
	return m.GetCertificate(hello)
}

// httpHandler answers HTTP-01 challenges on the plain-HTTP listener before
// next (the redirect), once the manager is started.
func (s *acmeSetup) httpHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := s.manager; m != nil {
			m.HTTPHandler(next).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// start builds the Manager over the chosen storage and starts it; the
// listeners are bound already (tlsAddr answers TLS-ALPN-01, httpAddr, if
// not nil, HTTP-01), so certmagic opens none of its own. stop ends it.
func (s *acmeSetup) start(ctx context.Context, env *cmdEnv, e *edge.Edge, secret string, tlsAddr, httpAddr net.Addr) (stop func(), err error) {
	var storage certmagic.Storage
	if s.dir != "" {
		storage = &certmagic.FileStorage{Path: s.dir}
	} else {
		s.remote = &acme.Remote{Origin: e.PurgeOrigin, Secret: secret, Log: env.log}
		storage = s.remote
	}
	s.manager, err = acme.New(acme.Config{
		Domains: s.domains, Email: s.email, CA: s.ca, CARoots: s.roots, Storage: storage,
		TLSAddr: tlsAddr, HTTPAddr: httpAddr, Log: env.log,
	})
	if err != nil {
		return nil, err
	}
	if err := s.manager.Start(ctx); err != nil {
		return nil, err
	}
	return func() {
		s.manager.Stop()
		if s.remote != nil {
			s.remote.Close()
		}
	}, nil
}
