package tlsserve

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// Limits of the HTTP/3 server (--http3), matching the HTTP/2 server's.
const (
	// H3MaxStreams is the request streams one QUIC connection may have
	// open (the peer's MAX_STREAMS credit, RFC 9000 §4.6). A stream reset
	// by the client frees its credit only once the server's side of it is
	// done, so a rapid reset cannot run unbounded handlers.
	H3MaxStreams = H2MaxConcurrentStreams
	// H3IdleTimeout closes a connection with no request in flight.
	H3IdleTimeout = 120 * time.Second
	// H3HandshakeTimeout bounds a QUIC handshake, as ReadHeaderTimeout
	// bounds a TCP connection's first request.
	H3HandshakeTimeout = 10 * time.Second
	// H3AltSvcMaxAge is how long (seconds) a client may remember that
	// HTTP/3 is offered: a day, so that turning --http3 off is noticed by
	// clients within one (they fall back to TCP at once if UDP fails).
	H3AltSvcMaxAge = 86400
)

// AltSvc is the Alt-Svc value (RFC 7838) that announces HTTP/3 on port of
// the host the client asked for.
func AltSvc(port int) string {
	return `h3=":` + strconv.Itoa(port) + `"; ma=` + strconv.Itoa(H3AltSvcMaxAge)
}

// NewH3Server is the HTTP/3 server (quic-go) for h with the certificates
// of tlsConf (cloned; HTTP/3 is TLS 1.3 only and offers only h3), serving
// a UDP socket through Serve. Its limits are the HTTP/2 server's: header
// bytes, streams per connection, an idle timeout; requests' own timeouts
// are the handler's (the edge's upstream deadlines), as on HTTP/2.
// 0-RTT is refused (quic.Config.Allow0RTT false): replayable early data
// would let a captured request be sent again.
func NewH3Server(h http.Handler, tlsConf *tls.Config, log *slog.Logger) *http3.Server {
	c := tlsConf.Clone()
	c.MinVersion = tls.VersionTLS13
	c.NextProtos = []string{http3.NextProtoH3}
	return &http3.Server{
		Handler:        h,
		TLSConfig:      c,
		MaxHeaderBytes: H2MaxHeaderBytes,
		IdleTimeout:    H3IdleTimeout,
		Logger:         log,
		QUICConfig: &quic.Config{
			HandshakeIdleTimeout:  H3HandshakeTimeout,
			MaxIdleTimeout:        H3IdleTimeout,
			MaxIncomingStreams:    H3MaxStreams,
			MaxIncomingUniStreams: 16, // a client's control and QPACK streams (RFC 9114 §6.2), and room for unknown ones
		},
	}
}
