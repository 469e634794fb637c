package tlsserve

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/edge/h1"
	"agora/internal/edge/tlsserve/tlstest"
)

// testServer serves h on a loopback TLS listener with the pair in files
// made by ca; fast, if set, is h1's fast handler. It returns the address
// and the FileCert.
func testServer(t *testing.T, ca *tlstest.CA, h http.Handler, fast h1.FastHandler, hsts string) (string, *FileCert) {
	t.Helper()
	certFile, keyFile := ca.Files(t, t.TempDir(), 1, "shop.test", "127.0.0.1")
	fc, err := LoadFileCert(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var f Fields
	f.Add("Strict-Transport-Security", hsts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		TLSConfig: NewTLSConfig(fc.GetCertificate, true),
		H1:        &h1.Server{Handler: f.Handler(h), Fast: f.Fast(fast)},
		H2:        NewH2Server(f.Handler(h), slog.New(slog.DiscardHandler)),
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ln.Addr().String(), fc
}

func client(ca *tlstest.CA, h2 bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// protoHandler says what the server saw.
var protoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s tls=%v", r.Proto, r.TLS != nil)
})

// TestHTTP1AndHTTP2OverTLS: a browser-like client gets HTTP/2, one that
// offers only http/1.1 gets the edge's own HTTP/1.1 server (its fast
// path included); both see HSTS and the handler sees the TLS state.
func TestHTTP1AndHTTP2OverTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	fast := func(req *h1.Request, rep *h1.Reply) bool {
		if string(req.Path) != "/fast" {
			return false
		}
		rep.Head = append(rep.Head, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"...)
		if !req.TLS {
			rep.Head = append(rep.Head, "X-Not-TLS: 1\r\n"...)
		}
		rep.Body = []byte("fast")
		return true
	}
	addr, _ := testServer(t, ca, protoHandler, fast, DefaultHSTS)
	for _, tc := range []struct {
		name  string
		h2    bool
		path  string
		proto int
		want  string
	}{
		{"h2", true, "/", 2, "HTTP/2.0 tls=true"},
		{"http/1.1", false, "/", 1, "HTTP/1.1 tls=true"},
		{"http/1.1 fast path", false, "/fast", 1, "fast"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client(ca, tc.h2).Get("https://" + addr + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.ProtoMajor != tc.proto || string(b) != tc.want {
				t.Errorf("got %s %q, want HTTP/%d %q", resp.Proto, b, tc.proto, tc.want)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != DefaultHSTS {
				t.Errorf("HSTS %q, want %q", got, DefaultHSTS)
			}
			if resp.Header.Get("X-Not-TLS") != "" {
				t.Error("the fast handler was not told the connection is TLS")
			}
			if v := resp.TLS.Version; v < tls.VersionTLS12 {
				t.Errorf("TLS version %x", v)
			}
		})
	}
}

// TestOldTLSRefused: TLS 1.0 and 1.1, and TLS 1.2 with a CBC suite, get
// no handshake.
func TestOldTLSRefused(t *testing.T) {
	ca := tlstest.NewCA(t)
	addr, _ := testServer(t, ca, protoHandler, nil, "")
	for _, cfg := range []*tls.Config{
		{MaxVersion: tls.VersionTLS11},
		{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}},
	} {
		cfg.RootCAs = ca.Pool
		c, err := tls.Dial("tcp", addr, cfg)
		if err == nil {
			c.Close()
			t.Errorf("handshake with max version %x, suites %v succeeded", cfg.MaxVersion, cfg.CipherSuites)
		}
	}
}

// TestCertificateReloadUnderLoad: while requests run on kept-alive and on
// new connections, the files are replaced (by rename) with new pairs, once
// with a broken pair; not one request fails, new connections get the new
// certificate, and the broken pair leaves the previous one serving.
func TestCertificateReloadUnderLoad(t *testing.T) {
	ca := tlstest.NewCA(t)
	addr, fc := testServer(t, ca, protoHandler, nil, "")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	load := func(c *http.Client) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := c.Get("https://" + addr + "/")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				continue
			}
			ok.Add(1)
		}
	}
	fresh := func(h2 bool) *http.Client {
		c := client(ca, h2)
		c.Transport.(*http.Transport).DisableKeepAlives = true
		return c
	}
	for _, c := range []*http.Client{client(ca, false), client(ca, true), fresh(false), fresh(true)} {
		wg.Add(1)
		go load(c)
	}
	serial := func() int64 {
		c, err := tls.Dial("tcp", addr, ca.ClientConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	for i := int64(2); i <= 6; i++ {
		cert, key := ca.Leaf(t, i, "shop.test", "127.0.0.1")
		if i == 4 { // a key that does not match its certificate
			_, key = ca.Leaf(t, 99, "shop.test")
		}
		tlstest.Replace(t, fc.CertFile, cert)
		tlstest.Replace(t, fc.KeyFile, key)
		changed, err := fc.Reload()
		want := i
		if i == 4 {
			if err == nil || changed {
				t.Fatalf("a mismatched pair loaded (changed %v, err %v)", changed, err)
			}
			want = 3
		} else if err != nil || !changed {
			t.Fatalf("reload %d: changed %v, err %v", i, changed, err)
		}
		if got := serial(); got != want {
			t.Errorf("after pair %d, a new connection got certificate %d, want %d", i, got, want)
		}
		for n := ok.Load(); ok.Load() < n+20; { // some requests on this pair
			runtime.Gosched()
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed during reloads; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	t.Logf("%d requests, none failed", ok.Load())
}

func TestRedirect(t *testing.T) {
	for _, tc := range []struct {
		port, method, host, target string
		code                       int
		loc                        string
	}{
		{"443", "GET", "shop.test", "/p/1?x=1", 301, "https://shop.test/p/1?x=1"},
		{"443", "HEAD", "shop.test:80", "/", 301, "https://shop.test/"},
		{"8443", "GET", "shop.test:8080", "/a", 301, "https://shop.test:8443/a"},
		{"443", "POST", "shop.test", "/cart", 308, "https://shop.test/cart"},
		{"443", "GET", "[::1]:80", "/", 301, "https://[::1]/"},
		{"443", "GET", "", "/", 400, ""},
	} {
		r, _ := http.NewRequest(tc.method, "http://x"+tc.target, nil)
		r.Host = tc.host
		w := &recorder{h: http.Header{}}
		Redirect(tc.port).ServeHTTP(w, r)
		if w.code != tc.code || w.h.Get("Location") != tc.loc {
			t.Errorf("%s %s%s: %d %q, want %d %q", tc.method, tc.host, tc.target, w.code, w.h.Get("Location"), tc.code, tc.loc)
		}
	}
}

type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(c int)           { r.code = c }

func TestParseHSTS(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"off", "", ""},
		{"OFF", "", ""},
		{DefaultHSTS, DefaultHSTS, ""},
		{"max-age=63072000; includeSubDomains; preload", "max-age=63072000; includeSubDomains; preload", ""},
		{"includeSubDomains", "", "max-age"},
		{"max-age=abc", "", "number"},
		{"max-age=1; bogus", "", "unknown directive"},
	} {
		got, err := ParseHSTS(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseHSTS(%q) = %q, %v; want %q, error with %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}
