package acme_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/app"
	"agora/internal/catalog"
	"agora/internal/edge/acme"
	"agora/internal/edge/acme/acmetest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

const (
	domain = "shop.agora.test"
	secret = "the-cluster-secret"
)

// appTier serves the app's internal API over db, as `agora app` does.
func appTier(t *testing.T, db *store.DB) string {
	t.Helper()
	s, err := app.New(app.Config{ClusterSecret: secret}, app.Deps{DB: db, Catalog: catalog.New(db), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func remote(origin string) *acme.Remote {
	return &acme.Remote{Origin: func() string { return origin }, Secret: secret, LockPoll: 100 * time.Millisecond}
}

// edge is what an edge puts in front of its Manager: a plain-HTTP listener
// answering challenges (and redirecting the rest), a TLS listener serving
// its name.
type edge struct {
	name          string
	httpLn, tlsLn net.Listener
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func newEdge(t *testing.T, name string) *edge {
	return &edge{name: name, httpLn: listen(t), tlsLn: listen(t)}
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// start serves e with certificates from a Manager over storage.
func (e *edge) start(t *testing.T, p *acmetest.Pebble, storage acme.Config) {
	t.Helper()
	storage.Domains, storage.Email = []string{domain}, "ops@agora.test"
	storage.CA, storage.CARoots = p.Directory, p.CARoots
	if storage.HTTPAddr == nil && storage.TLSAddr == nil {
		storage.HTTPAddr, storage.TLSAddr = e.httpLn.Addr(), e.tlsLn.Addr()
	}
	storage.Log = slog.New(slog.NewTextHandler(testWriter{t, e.name}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m, err := acme.New(storage)
	if err != nil {
		t.Fatal(err)
	}
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
	plain := &http.Server{Handler: m.HTTPHandler(redirect)}
	secure := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+e.name)
	})}
	go plain.Serve(e.httpLn)
	go secure.Serve(tls.NewListener(e.tlsLn, m.TLSConfig("http/1.1")))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		m.Stop()
		plain.Close()
		secure.Close()
	})
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

// testWriter sends an edge's log lines to the test's log.
type testWriter struct {
	t    *testing.T
	name string
}

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, strings.TrimSpace(string(b)))
	return len(b), nil
}

// servedCert waits until e answers a TLS handshake for domain with a
// certificate roots trust, then returns it and the page's body.
func (e *edge) servedCert(t *testing.T, roots *x509.CertPool) (*x509.Certificate, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: domain, RootCAs: roots},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", e.tlsLn.Addr().String())
		},
	}}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := c.Get("https://" + domain + "/")
		if err == nil {
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.TLS.PeerCertificates[0], string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never served a trusted certificate for %s: %v", e.name, domain, err)
		}
		time.Sleep(200 * time.Millisecond) // the order runs in the background: poll what a client sees
	}
}

// TestEdgeGetsCertificate: an edge with no certificate orders one from a
// real ACME server, which validates against the edge's own listeners (the
// plain-HTTP one for HTTP-01, the TLS one for TLS-ALPN-01), and serves it
// over TLS to a client that trusts only the CA's root.
func TestEdgeGetsCertificate(t *testing.T) {
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			db := storetest.Open(t, store.SQLite)
			e := newEdge(t, "edge-a")
			// The CA can reach only the listener of the challenge under
			// test, and the edge offers only that challenge.
			cfg := acme.Config{Storage: remote(appTier(t, db))}
			var p *acmetest.Pebble
			if challenge == "http-01" {
				p = acmetest.Start(t, port(e.httpLn), 0)
				cfg.HTTPAddr = e.httpLn.Addr()
			} else {
				p = acmetest.Start(t, 0, port(e.tlsLn))
				cfg.TLSAddr = e.tlsLn.Addr()
			}
			e.start(t, p, cfg)
			cert, body := e.servedCert(t, p.Root(t))
			if !slices.Contains(cert.DNSNames, domain) || body != "hello from edge-a" {
				t.Errorf("served a certificate for %v with body %q; want %s and the edge's page", cert.DNSNames, body, domain)
			}
			if n := p.Orders(); n != 1 {
				t.Errorf("pebble took %d orders, want 1", n)
			}
			// Pebble logs its HTTP-01 requests only; TLS-ALPN-01 was then
			// the one left. Never without validating (PEBBLE_VA_ALWAYS_VALID).
			log := p.Log()
			if strings.Contains(log, "Attempting to validate w/ HTTP") != (challenge == "http-01") || strings.Contains(log, "Skipping real validation") {
				t.Errorf("pebble did not validate with %s alone:\n%s", challenge, log)
			}
		})
	}
	// The plain-HTTP listener redirects what is not a challenge.
	e := newEdge(t, "edge-r")
	p := acmetest.Start(t, port(e.httpLn), port(e.tlsLn))
	e.start(t, p, acme.Config{Storage: remote(appTier(t, storetest.Open(t, store.SQLite)))})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get("http://" + e.httpLn.Addr().String() + "/cart?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := "https://" + e.httpLn.Addr().String() + "/cart?x=1"; res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Errorf("plain HTTP: %s to %q, want 308 to %q", res.Status, res.Header.Get("Location"), want)
	}
}

// TestTwoEdgesOneOrder: two edges sharing the app tier's storage start at
// once; one orders, the other waits on the lock and loads the result, so
// the CA sees one order and both serve the same certificate. The CA
// validates against edge A only: if B ordered, A answers B's challenge
// from the shared storage.
func TestTwoEdgesOneOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		origin := appTier(t, db)
		a, b := newEdge(t, "edge-a"), newEdge(t, "edge-b")
		p := acmetest.Start(t, port(a.httpLn), port(a.tlsLn))
		a.start(t, p, acme.Config{Storage: remote(origin)})
		b.start(t, p, acme.Config{Storage: remote(origin)})
		roots := p.Root(t)
		certA, _ := a.servedCert(t, roots)
		certB, bodyB := b.servedCert(t, roots)
		if certA.SerialNumber.Cmp(certB.SerialNumber) != 0 || bodyB != "hello from edge-b" {
			t.Errorf("edge A serves serial %x, edge B %x (body %q): want one certificate for both", certA.SerialNumber, certB.SerialNumber, bodyB)
		}
		if n := p.Orders(); n != 1 {
			t.Errorf("pebble took %d orders from two edges sharing storage, want 1", n)
		}
		keys, err := remote(origin).List(context.Background(), "certificates", true)
		if err != nil {
			t.Fatal(err)
		}
		var crts []string
		for _, k := range keys {
			if strings.HasSuffix(k, ".crt") {
				crts = append(crts, k)
			}
		}
		if len(crts) != 1 {
			t.Errorf("shared storage holds certificates %q, want one", crts)
		}
	})
}

// TestDeadEdgeLockExpires: an edge that died holding a lock (a lease
// nobody renews) delays the next edge until its lease ends, not forever;
// a live holder's renewals keep it.
func TestDeadEdgeLockExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		origin := appTier(t, db)
		ctx := context.Background()
		const lease = 2 * time.Second
		dead := remote(origin)
		dead.LockTTL = lease
		if err := dead.Lock(ctx, "issue_cert_"+domain); err != nil {
			t.Fatal(err)
		}
		dead.Close() // the process dies: no renewal, no unlock
		died := time.Now()

		live := remote(origin)
		live.LockTTL = lease
		if ok, err := live.TryLock(ctx, "issue_cert_"+domain); ok || err != nil {
			t.Fatalf("took a lock whose lease runs: %v, %v", ok, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := live.Lock(wctx, "issue_cert_"+domain); err != nil {
			t.Fatalf("the dead edge's lock was never taken over: %v", err)
		}
		if waited := time.Since(died); waited < lease-200*time.Millisecond {
			t.Errorf("took the lock %s after its holder died, before its %s lease ended", waited, lease)
		}

		// live holds it for longer than a lease: its renewals keep it.
		other := remote(origin)
		other.LockTTL = lease
		held := time.Now()
		for time.Since(held) < 2*lease {
			if ok, err := other.TryLock(ctx, "issue_cert_"+domain); ok || err != nil {
				t.Fatalf("took a lock a live edge holds and renews: %v, %v", ok, err)
			}
			time.Sleep(250 * time.Millisecond) // probing over two lease lengths
		}
		if err := live.Unlock(ctx, "issue_cert_"+domain); err != nil {
			t.Fatal(err)
		}
		if ok, err := other.TryLock(ctx, "issue_cert_"+domain); !ok || err != nil {
			t.Fatalf("a released lock was refused: %v, %v", ok, err)
		}
		other.Unlock(ctx, "issue_cert_"+domain)
	})
}

// TestRemoteStorage: certmagic's storage contract through the app tier.
func TestRemoteStorage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := remote(appTier(t, db))
		ctx := context.Background()
		if _, err := r.Load(ctx, "acme/x/users/a/a.key"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load of a missing key: %v, want fs.ErrNotExist", err)
		}
		if _, err := r.List(ctx, "acme/x/users", false); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("List of a missing directory: %v, want fs.ErrNotExist", err)
		}
		for i, k := range []string{"acme/x/users/a/a.key", "acme/x/users/a/a.json", "acme/x/users/b/b.key"} {
			if err := r.Store(ctx, k, []byte(fmt.Sprint("v", i))); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := r.Load(ctx, "acme/x/users/a/a.json"); err != nil || string(v) != "v1" {
			t.Errorf("Load = %q, %v; want v1", v, err)
		}
		if l, err := r.List(ctx, "acme/x/users", false); err != nil || !slices.Equal(l, []string{"acme/x/users/a", "acme/x/users/b"}) {
			t.Errorf("List = %q, %v", l, err)
		}
		if i, err := r.Stat(ctx, "acme/x/users/a/a.key"); err != nil || !i.IsTerminal || i.Size != 2 {
			t.Errorf("Stat = %+v, %v", i, err)
		}
		if !r.Exists(ctx, "acme/x/users") || r.Exists(ctx, "acme/x/use") {
			t.Error("Exists: wrong for a directory or a mere string prefix")
		}
		if err := r.Delete(ctx, "acme/x/users/a"); err != nil {
			t.Fatal(err)
		}
		if l, err := r.List(ctx, "acme", true); err != nil || !slices.Equal(l, []string{"acme/x/users/b/b.key"}) {
			t.Errorf("after Delete: %q, %v", l, err)
		}
		// An app tier without a cluster secret has no storage: that is an
		// error to report, not an empty storage to fill.
		s, err := app.New(app.Config{}, app.Deps{DB: db, Catalog: catalog.New(db), Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		noSecret := httptest.NewServer(s.Handler())
		defer noSecret.Close()
		if _, err := remote(noSecret.URL).Load(ctx, "acme/x/users/b/b.key"); err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "404") {
			t.Errorf("Load from an app without a cluster secret: %v, want a 404 that is not fs.ErrNotExist", err)
		}
		bad := remote(r.Origin())
		bad.Secret = "wrong"
		if err := bad.Store(ctx, "k", []byte("v")); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("Store with a wrong secret: %v, want 401", err)
		}
	})
}
