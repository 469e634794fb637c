package tlsserve

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits of the HTTP/2 server; the rest are net/http's defaults.
const (
	// H2MaxConcurrentStreams is the streams one connection may have open
	// (SETTINGS_MAX_CONCURRENT_STREAMS); browsers open far fewer. Streams
	// reset by the client still count until their handler returns, which
	// is net/http's defence against rapid reset (CVE-2023-44487).
	H2MaxConcurrentStreams = 100
	// H2MaxHeaderBytes bounds a request's decoded header list
	// (SETTINGS_MAX_HEADER_LIST_SIZE), as h1's head limit does; net/http
	// also stops reading CONTINUATION frames past it (CVE-2023-45288).
	H2MaxHeaderBytes = 32 << 10
)

// NewH2Server is the HTTP/2 server for Server.H2 with the edge's
// timeouts: a stream's headers within 10 s, a body within 60 s, a
// response within 120 s, an idle connection closed after 120 s, and a
// connection that stops answering pings closed.
func NewH2Server(h http.Handler, log *slog.Logger) *http.Server {
	var p http.Protocols
	p.SetHTTP2(true)
	p.SetHTTP1(true) // net/http needs it to serve anything; only h2 connections reach it
	return &http.Server{
		Handler:           h,
		Protocols:         &p,
		MaxHeaderBytes:    H2MaxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: H2MaxConcurrentStreams,
			SendPingTimeout:      30 * time.Second,
			PingTimeout:          15 * time.Second,
			WriteByteTimeout:     30 * time.Second,
		},
	}
}
