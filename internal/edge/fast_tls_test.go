package edge

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"agora/internal/edge/h1"
	"agora/internal/edge/tlsserve"
	"agora/internal/edge/tlsserve/tlstest"
)

// serveTLS serves e as agora edge does with --tls-cert --http3: tlsserve
// with h1 (its fast path or not) and HTTP/2, and HTTP/3 on UDP of the
// same port, HSTS and Alt-Svc on. It returns the address and the fast
// path's answer count.
func serveTLS(t *testing.T, ca *tlstest.CA, e *Edge, fast bool) (string, *atomic.Int64) {
	t.Helper()
	certFile, keyFile := ca.Files(t, t.TempDir(), 1, "shop.test", "127.0.0.1")
	fc, err := tlsserve.LoadFileCert(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var fields tlsserve.Fields
	fields.Add("Strict-Transport-Security", tlsserve.DefaultHSTS)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	// Both listeners announce one port, so their answers compare equal:
	// as behind a port mapping, where the public port is 443.
	fields.Add("Alt-Svc", tlsserve.AltSvc(443))
	var answered atomic.Int64
	h := &h1.Server{Handler: fields.Handler(e)}
	if fast {
		h.Fast = fields.Fast(func(req *h1.Request, rep *h1.Reply) bool {
			ok := e.ServeFast(req, rep)
			if ok {
				answered.Add(1)
			}
			return ok
		})
	}
	s := &tlsserve.Server{
		TLSConfig: tlsserve.NewTLSConfig(fc.GetCertificate, true),
		H1:        h,
		H2:        tlsserve.NewH2Server(fields.Handler(e), e.Log),
	}
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	h3 := tlsserve.NewH3Server(fields.Handler(e), s.TLSConfig, e.Log)
	go s.Serve(ln)
	go h3.Serve(udp)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		h3.Close()
		udp.Close()
	})
	return ln.Addr().String(), &answered
}

// tlsGetter sends a head as is over TLS with ALPN http/1.1.
func tlsGetter(ca *tlstest.CA, addr string) getter {
	return func(t *testing.T, head string) (*http.Response, []byte) {
		t.Helper()
		c, err := tls.Dial("tcp", addr, ca.ClientConfig("http/1.1"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return exchange(t, c, head)
	}
}

// roundTripGetter translates a head into an *http.Request for rt (an
// HTTP/2 or HTTP/3 client), sending its fields as they are.
func roundTripGetter(rt http.RoundTripper, addr string) getter {
	return func(t *testing.T, head string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			t.Fatal(err)
		}
		req.RequestURI = ""
		req.URL.Scheme, req.URL.Host = "https", addr
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatalf("%q: %v", head, err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor < 2 {
			t.Fatalf("%q: answered over %s", head, resp.Proto)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
}

// TestFastPathOverTLS: over TLS the fast path answers what it answers on
// plain TCP, as the ordinary path would, and HTTP/2 and HTTP/3 answer each of those
// requests the same way again: one cache, one set of rules, whatever the
// protocol. The https pages are their own cache entries (the key holds
// the scheme), so the TLS listener warms its own.
func TestFastPathOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	e, _ := newEdge(t, fastPathOrigin(t).URL)
	fastAddr, answered := serveTLS(t, ca, e, true)
	slowAddr, _ := serveTLS(t, ca, e, false)
	// Over TLS a Host's default port is 443.
	cases := append([]fastCase(nil), fastCases...)
	for i := range cases {
		cases[i].head = strings.Replace(cases[i].head, "SHOP.test:80", "SHOP.test:443", 1)
	}
	h2 := &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true, DisableCompression: true}
	t.Cleanup(h2.CloseIdleConnections)
	h3 := &http3.Transport{TLSClientConfig: ca.ClientConfig(), DisableCompression: true}
	t.Cleanup(func() { h3.Close() })
	others := map[string]getter{"HTTP/2": roundTripGetter(h2, fastAddr), "HTTP/3": roundTripGetter(h3, fastAddr)}
	compareFastPath(t, cases, answered, tlsGetter(ca, fastAddr), tlsGetter(ca, slowAddr), others)

	// The plain listener's entries are not the TLS listener's.
	plainAddr, _ := serveH1(t, e, true)
	resp, _ := rawGet(t, plainAddr, "GET /p/shoe HTTP/1.1\r\nHost: shop.test\r\n\r\n")
	if cs := resp.Header.Get("Cache-Status"); !strings.Contains(cs, "miss") {
		t.Errorf("plain HTTP after TLS: Cache-Status %q, want a miss (http and https pages apart)", cs)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on plain HTTP (RFC 6797 §7.2: only over TLS)")
	}
}
