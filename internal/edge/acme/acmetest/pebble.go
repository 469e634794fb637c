// Package acmetest runs a real ACME server for tests: pebble
// (github.com/letsencrypt/pebble, the test CA of Let's Encrypt's own
// clients) as a process on loopback, with a DNS server that sends every name
// to 127.0.0.1. The binary is $AGORA_PEBBLE, else pebble on PATH, else in
// GOPATH/bin, where ./scripts/test installs it (go install, pinned).
package acmetest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"agora/internal/testdep"
)

// Pebble is a real ACME server (github.com/letsencrypt/pebble, the test CA
// of Let's Encrypt's own clients), run as a process on loopback. It
// validates for real: its DNS server is ours (every name is 127.0.0.1) and
// it connects to the edge's listeners on httpPort (HTTP-01) and tlsPort
// (TLS-ALPN-01).
type Pebble struct {
	Directory string         // the ACME directory URL
	CARoots   *x509.CertPool // trusts pebble's HTTPS listener (what --acme-ca-root gives)
	RootsFile string         // the same, as a PEM file
	mgmt      string         // management API base URL

	mu  sync.Mutex // protects log
	log strings.Builder
}

// pebbleBinary finds pebble: $AGORA_PEBBLE, else on PATH, else in
// GOPATH/bin (where ./scripts/test installs it).
func pebbleBinary() (string, error) {
	if p := os.Getenv("AGORA_PEBBLE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AGORA_PEBBLE=%s: %v", p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("pebble"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.Split(strings.TrimSpace(string(out)), string(os.PathListSeparator))[0], "bin", "pebble")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("pebble is not installed")
}

// Start runs pebble validating on httpPort and tlsPort of 127.0.0.1
// (0: that challenge cannot succeed).
func Start(t *testing.T, httpPort, tlsPort int) *Pebble {
	t.Helper()
	bin, err := pebbleBinary()
	if err != nil {
		testdep.Missing(t, "AGORA_TEST_SKIP_PEBBLE", err,
			"run ./scripts/test (it installs it), or `go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3` and put it on PATH or in AGORA_PEBBLE")
	}
	dir := t.TempDir()
	p := &Pebble{}
	certFile, keyFile := writeServerCert(t, dir, p)
	dnsAddr := startDNS(t)
	listen, mgmt := FreeAddr(t), FreeAddr(t)
	p.Directory, p.mgmt = "https://"+listen+"/dir", "https://"+mgmt
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": httpPort, "tlsPort": tlsPort,
		"keyAlgorithm": "ecdsa",
		"retryAfter":   map[string]int{"authz": 1, "order": 1},
	}}
	cfgFile := filepath.Join(dir, "pebble.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgFile, "-dnsserver", dnsAddr)
	// No random sleeps before validating, no random nonce rejections:
	// the test is deterministic; validation itself stays real.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("pebble's log:\n%s", p.Log())
		}
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			// The WFE listener is the last thing pebble starts.
			if strings.Contains(sc.Text(), "ACME directory available") {
				close(ready)
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("pebble did not start within 30s:\n%s", p.Log())
	}
	waitListening(t, listen)
	waitListening(t, mgmt)
	return p
}

func (p *Pebble) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Orders counts the orders pebble was asked for.
func (p *Pebble) Orders() int { return strings.Count(p.Log(), "Added order") }

// Root returns the root that signs pebble's certificates (management API
// /roots/0): a client trusting it trusts what the edge serves.
func (p *Pebble) Root(t *testing.T) *x509.CertPool {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.CARoots}}}
	res, err := c.Get(p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	pool := x509.NewCertPool()
	if res.StatusCode != 200 || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble /roots/0: %s %q", res.Status, b)
	}
	return pool
}

// writeServerCert makes a CA and, signed by it, the certificate of
// pebble's HTTPS listeners (127.0.0.1), and sets p.CARoots and p.RootsFile.
func writeServerCert(t *testing.T, dir string, p *Pebble) (certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "agora test CA for pebble"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pebble"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile, p.RootsFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	for f, blk := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER},
		p.RootsFile: {Type: "CERTIFICATE", Bytes: caDER},
	} {
		if err := os.WriteFile(f, pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.CARoots = x509.NewCertPool()
	p.CARoots.AddCert(caCert)
	return certFile, keyFile
}

// startDNS answers every A question with 127.0.0.1 and nothing else, so
// pebble validates any name against the listeners on loopback. Pebble asks
// over UDP and TCP: both listen on one port.
func startDNS(t *testing.T) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			if qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1}, A: net.IPv4(127, 0, 0, 1)})
			}
		}
		w.WriteMsg(m)
	})
	var ln net.Listener
	var pc net.PacketConn
	for range 20 { // the UDP port of a free TCP port is usually free too
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp", ln.Addr().String()); err == nil {
			break
		}
		ln.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no port free for DNS over both UDP and TCP")
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return ln.Addr().String()
}

// FreeAddr is a loopback address with a port free a moment ago.
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until addr accepts a connection: pebble logs that
// its directory is available just before it listens.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never accepted a connection: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a port, not a race
	}
}
