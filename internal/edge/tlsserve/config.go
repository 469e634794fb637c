// Package tlsserve terminates TLS for the edge's public listener: modern
// defaults, a certificate pair from files reloaded on change, the
// handshake and the dispatch of each connection by ALPN to the edge's own
// HTTP/1.1 server (edge/h1, with its fast hit path) or to net/http's
// HTTP/2 server, the HTTP/3 server on UDP (quic-go, h3.go), the
// plain-HTTP listener that redirects to HTTPS, and the fields every TLS
// response carries (HSTS, Alt-Svc).
//
// It owns no certificates of its own beyond the files it is given: where
// certificates come from something else (ACME, package edge/acme), that
// supplies Config.GetCertificate. It knows nothing of caching; the edge's
// cache, coalescing and privacy rules are the same on every protocol
// because every protocol ends in the same Edge.
package tlsserve

import (
	"crypto/tls"
)

// NextProtos is the ALPN list the edge offers, in its order of preference
// (RFC 7301): HTTP/2, then HTTP/1.1. A client that names neither is served
// HTTP/1.1.
var NextProtos = []string{"h2", "http/1.1"}

// NewTLSConfig is the edge's TLS configuration: TLS 1.2 and 1.3 only, and
// for TLS 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
// ChaCha20-Poly1305; no CBC, no RSA key exchange), as in Mozilla's
// "intermediate" profile. TLS 1.3's suites are not configurable in Go and
// are all AEAD. Certificates come from get (a FileCert's or ACME's).
// With h2 false, only HTTP/1.1 is offered.
func NewTLSConfig(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), h2 bool) *tls.Config {
	protos := NextProtos
	if !h2 {
		protos = []string{"http/1.1"}
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: get,
		NextProtos:     protos,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}
