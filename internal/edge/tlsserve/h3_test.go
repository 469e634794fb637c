package tlsserve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"agora/internal/edge/h1"
	"agora/internal/edge/tlsserve/tlstest"
)

// TestHTTP3: with HTTP/3 on, a QUIC client gets the page over HTTP/3 on
// UDP of the TLS listener's port, with the same certificate; the HTTP/1.1
// and HTTP/2 answers announce it with Alt-Svc, the fast path's included.
// Without it, no Alt-Svc.
func TestHTTP3(t *testing.T) {
	ca := tlstest.NewCA(t)
	fast := func(req *h1.Request, rep *h1.Reply) bool {
		if string(req.Path) != "/fast" {
			return false
		}
		rep.Head = append(rep.Head, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"...)
		rep.Body = []byte("fast")
		return true
	}
	certFile, keyFile := ca.Files(t, t.TempDir(), 1, "shop.test", "127.0.0.1")
	fc, err := LoadFileCert(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	var f Fields
	f = f.With("Strict-Transport-Security", DefaultHSTS)
	f = f.With("Alt-Svc", AltSvc(port))
	conf := NewTLSConfig(fc.GetCertificate, true)
	s := &Server{
		TLSConfig: conf,
		H1:        &h1.Server{Handler: f.Handler(protoHandler), Fast: f.Fast(fast)},
		H2:        NewH2Server(f.Handler(protoHandler), slog.New(slog.DiscardHandler)),
	}
	h3 := NewH3Server(f.Handler(protoHandler), conf, slog.New(slog.DiscardHandler))
	go s.Serve(ln)
	go h3.Serve(udp)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := h3.Shutdown(ctx); err != nil {
			t.Errorf("HTTP/3 shutdown: %v", err)
		}
		udp.Close()
	})
	if len(conf.NextProtos) != 2 {
		t.Errorf("the TCP listener's ALPN changed to %q: the HTTP/3 server must use a copy", conf.NextProtos)
	}

	tr := &http3.Transport{TLSClientConfig: ca.ClientConfig()}
	defer tr.Close()
	req, _ := http.NewRequest("GET", "https://"+ln.Addr().String()+"/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Proto != "HTTP/3.0" || string(b) != "HTTP/3.0 tls=true" {
		t.Errorf("HTTP/3: %s %q", resp.Proto, b)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != DefaultHSTS {
		t.Errorf("HTTP/3: HSTS %q", got)
	}

	want := `h3=":` + strconv.Itoa(port) + `"; ma=86400`
	plainAddr, _ := testServer(t, ca, protoHandler, fast, DefaultHSTS) // HTTP/3 off
	for _, tc := range []struct {
		name, addr, path string
		h2               bool
		altSvc           string
	}{
		{"h2", ln.Addr().String(), "/", true, want},
		{"http/1.1", ln.Addr().String(), "/", false, want},
		{"http/1.1 fast path", ln.Addr().String(), "/fast", false, want},
		{"h2 without HTTP/3", plainAddr, "/", true, ""},
		{"http/1.1 fast path without HTTP/3", plainAddr, "/fast", false, ""},
	} {
		resp, err := client(ca, tc.h2).Get("https://" + tc.addr + tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if got := strings.Join(resp.Header.Values("Alt-Svc"), ", "); got != tc.altSvc {
			t.Errorf("%s: Alt-Svc %q, want %q", tc.name, got, tc.altSvc)
		}
	}
}
