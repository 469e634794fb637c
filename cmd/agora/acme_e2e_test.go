package main_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"agora/internal/edge/acme/acmetest"
)

// TestACMEE2ETwoEdges: two `agora edge` processes with --acme-domains,
// sharing the certificate storage of one app tier (its database, through
// /_internal/acme/ and the cluster secret), start at once against a real
// ACME server. Pebble validates for real on edge A's public port
// (TLS-ALPN-01): if edge B wins the lock and orders, A answers B's
// challenge from the shared storage. The CA sees one order, and both edges
// serve the same certificate to a client that trusts only pebble's root.
func TestACMEE2ETwoEdges(t *testing.T) {
	t.Parallel()
	const domain = "shop.agora.test"
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	app := start(t, "app", "--db", db, "--media", filepath.Join(data, "media"), "--listen", "127.0.0.1:0",
		"--metrics-listen", "", "--cluster-secret", "e2e-secret", "--drain-delay", "0s", "--access-log=false")

	listenA := acmetest.FreeAddr(t)
	portA, err := strconv.Atoi(listenA[strings.LastIndex(listenA, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	p := acmetest.Start(t, 0, portA)
	args := []string{"--backends", app.url, "--cluster-secret", "e2e-secret", "--acme-domains", domain,
		"--acme-email", "ops@agora.test", "--acme-ca", p.Directory, "--acme-ca-root", p.RootsFile}
	a := start(t, append([]string{"edge", "--listen", listenA, "--admin-listen", ""}, args...)...)
	b := start(t, append([]string{"edge", "--listen", "127.0.0.1:0", "--admin-listen", ""}, args...)...)
	for _, s := range []*server{a, b} {
		if !strings.HasPrefix(s.url, "https://") {
			t.Fatalf("edge says it serves %s, want https://", s.url)
		}
	}

	roots := p.Root(t)
	certA := servedCert(t, a.url, domain, roots)
	certB := servedCert(t, b.url, domain, roots)
	if certA.SerialNumber.Cmp(certB.SerialNumber) != 0 || !slices.Contains(certA.DNSNames, domain) {
		t.Errorf("edge A serves %x for %v, edge B %x: want one certificate for %s", certA.SerialNumber, certA.DNSNames, certB.SerialNumber, domain)
	}
	if n := p.Orders(); n != 1 {
		t.Errorf("pebble took %d orders from two edges sharing storage, want 1", n)
	}
	// One edge says it obtained the certificate; the CA validated on A.
	obtained := []bool{strings.Contains(a.log(), "certificate obtained successfully"), strings.Contains(b.log(), "certificate obtained successfully")}
	if obtained[0] == obtained[1] {
		t.Errorf("edges A and B logged an obtained certificate: %v; want exactly one", obtained)
	} else if obtained[1] {
		t.Log("edge B ordered; edge A answered its challenge from the shared storage")
	} else {
		t.Log("edge A ordered; edge B loaded the certificate from the shared storage")
	}
}

// servedCert waits until the edge at base answers HTTPS for domain with a
// certificate roots trust (the order runs in the background) and the page
// comes through from the app tier; it returns the certificate.
func servedCert(t *testing.T, base, domain string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	u, _ := url.Parse(base)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: domain, RootCAs: roots},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", u.Host)
		},
	}}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := c.Get("https://" + domain + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s over TLS: %s %q", base, res.Status, b)
			}
			return res.TLS.PeerCertificates[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never served a trusted certificate for %s: %v", base, domain, err)
		}
		time.Sleep(200 * time.Millisecond) // polling what a client sees while the order runs
	}
}
