// Package acme gets and renews the edge's TLS certificates from an ACME CA
// (Let's Encrypt by default) with certmagic (issue 12), and shares them
// between edges: certmagic's storage is the app tier's database through
// its internal API (Remote) or a shared directory, and its locks make one
// edge order a certificate while the others wait and load it. It offers
// what a TLS listener needs (GetCertificate, the acme-tls/1 protocol for
// TLS-ALPN-01) and what the plain-HTTP listener needs (HTTPHandler, which
// answers HTTP-01 challenges, those another edge started included). It
// does not serve anything itself: the caller owns the listeners.
package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
)

// Let's Encrypt's directories. Staging issues untrusted certificates under
// far higher rate limits: try a new deployment there first.
const (
	LetsEncryptProduction = certmagic.LetsEncryptProductionCA
	LetsEncryptStaging    = certmagic.LetsEncryptStagingCA
)

// Config says which certificates to get, from where, and where to keep
// them.
type Config struct {
	// Domains are the names to hold certificates for (CheckDomains).
	Domains []string
	// Email is the ACME account's contact: the CA warns it of expiring
	// certificates and problems. Required.
	Email string
	// CA is the ACME directory URL. If "", LetsEncryptProduction.
	CA string
	// CARoots, if not nil, are the roots trusted for talking to the CA
	// (a test CA such as pebble); nil: the system's.
	CARoots *x509.CertPool
	// Storage keeps accounts, certificates and locks: a Remote, or a
	// certmagic.FileStorage on a directory every edge shares. Required.
	Storage certmagic.Storage
	// HTTPAddr and TLSAddr are the addresses the caller's listeners are
	// bound to: the plain-HTTP one that answers HTTP-01 through HTTPHandler
	// (CA validation on port 80), the TLS one that answers TLS-ALPN-01
	// through GetCertificate (port 443). Either may be nil, which disables
	// its challenge; not both. certmagic sees they are in use and so
	// starts no listener of its own.
	HTTPAddr, TLSAddr net.Addr
	// Log receives certmagic's events (obtained, renewed, failures). If
	// nil, slog.Default().
	Log *slog.Logger
}

// Manager holds the certificates of Config.Domains.
type Manager struct {
	domains []string
	magic   *certmagic.Config
	issuer  *certmagic.ACMEIssuer
	cache   *certmagic.Cache
	log     *slog.Logger
}

// New checks c and prepares a Manager; Start begins obtaining.
func New(c Config) (*Manager, error) {
	if err := CheckDomains(c.Domains); err != nil {
		return nil, err
	}
	if c.Email == "" {
		return nil, errors.New("acme: an e-mail address is required: the CA writes to it about expiring certificates")
	}
	if c.Storage == nil {
		return nil, errors.New("acme: a storage is required")
	}
	if c.HTTPAddr == nil && c.TLSAddr == nil {
		return nil, errors.New("acme: no listener can answer the CA's challenges (HTTP-01 needs the HTTP listener, TLS-ALPN-01 the TLS one)")
	}
	if c.CA == "" {
		c.CA = LetsEncryptProduction
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	zl := zapToSlog(c.Log)
	m := &Manager{domains: c.Domains, log: c.Log}
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		Logger:           zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{Storage: c.Storage, Logger: zl})
	tmpl := certmagic.ACMEIssuer{
		CA: c.CA, Email: c.Email, Agreed: true, TrustedRoots: c.CARoots, Logger: zl,
		DisableHTTPChallenge: c.HTTPAddr == nil, DisableTLSALPNChallenge: c.TLSAddr == nil,
	}
	// certmagic tries to listen on the challenge ports itself; pointed at
	// the caller's own listeners, it finds them taken and answering, and
	// leaves the challenges to them (and to the other edges, which read
	// the challenge from the shared storage).
	if c.HTTPAddr != nil {
		tmpl.ListenHost, tmpl.AltHTTPPort = hostPort(c.HTTPAddr)
	}
	if c.TLSAddr != nil {
		var host string
		host, tmpl.AltTLSALPNPort = hostPort(c.TLSAddr)
		if c.HTTPAddr == nil {
			tmpl.ListenHost = host
		}
	}
	m.issuer = certmagic.NewACMEIssuer(m.magic, tmpl)
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

func hostPort(a net.Addr) (string, int) {
	host, port, _ := net.SplitHostPort(a.String())
	p, _ := strconv.Atoi(port)
	return host, p
}

// Start loads the certificates from storage and, in the background,
// obtains those missing (one edge orders, the others wait on its lock and
// load its result) and renews them before they expire, until Stop. Until a
// certificate is there, handshakes for its name fail.
func (m *Manager) Start(ctx context.Context) error {
	m.log.Info("acme: managing certificates", "domains", m.domains, "ca", m.issuer.CA, "email", m.issuer.Email)
	if err := m.magic.ManageAsync(ctx, m.domains); err != nil {
		return fmt.Errorf("acme: %w", err)
	}
	return nil
}

// Stop ends the renewals. It does not wait for one under way.
func (m *Manager) Stop() { m.cache.Stop() }

// GetCertificate is for tls.Config.GetCertificate: the managed certificate
// for the client's server name, with its OCSP staple when the CA offers
// one, or the TLS-ALPN-01 challenge certificate when the CA asks.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return m.magic.GetCertificate(hello)
}

// NextProtos are the ALPN protocols a TLS config must offer, besides its
// own (h2, http/1.1), for TLS-ALPN-01 challenges to reach GetCertificate.
func (m *Manager) NextProtos() []string { return []string{acmez.ACMETLS1Protocol} }

// HTTPHandler answers the CA's HTTP-01 challenges
// (/.well-known/acme-challenge/…), those started by another edge sharing
// the storage included, and passes every other request to next (the
// redirect to HTTPS).
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	return m.issuer.HTTPChallengeHandler(next)
}

// TLSConfig is a server config with modern defaults (TLS 1.2 and up; Go's
// cipher suites, which are only AEAD ones with forward secrecy for 1.2)
// and certificates from GetCertificate, offering protos and acme-tls/1.
func (m *Manager) TLSConfig(protos ...string) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: m.GetCertificate,
		NextProtos:     append(protos, m.NextProtos()...),
	}
}
