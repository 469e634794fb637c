package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"agora/internal/edge/tlsserve"
	"agora/internal/edge/tlsserve/tlstest"
)

var redirectAttr = regexp.MustCompile(`http_redirect=(\S+)`)

// TestEdgeOverTLS: `agora edge --tls-cert --tls-key --http-listen --http3`
// serves the store over HTTP/3, HTTP/2 and HTTP/1.1 with HSTS, hits
// included, and announces HTTP/3 by Alt-Svc; plain HTTP is redirected;
// the app, trusting the edge, marks its cookies Secure; and a SIGUSR2
// upgrade hands over the TLS, UDP and redirect sockets.
func TestEdgeOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t)
	certFile, keyFile := ca.Files(t, t.TempDir(), 1, "localhost", "127.0.0.1")
	tier := &edgeTier{}
	data := t.TempDir()
	db := "sqlite:" + data + "/agora.db"
	if code, out, errOut := run(t, "seed", "--db", db, "--media", data+"/media", "--products", "5", "--categories", "2", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	app := start(t, "app", "--db", db, "--media", data+"/media", "--listen", "127.0.0.1:0", "--metrics-listen", "",
		"--drain-delay", "0s", "--access-log=false", "--trusted-proxies", "loopback")
	tier.edge, tier.admin = startEdge(t, "--backends", app.url, "--tls-cert", certFile, "--tls-key", keyFile, "--http-listen", "127.0.0.1:0", "--http3")
	base := tier.edge.url
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the edge says it serves %s", base)
	}
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	h1c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig("http/1.1")}, Timeout: 10 * time.Second}
	h3t := &http3.Transport{TLSClientConfig: ca.ClientConfig()}
	t.Cleanup(func() { h3t.Close() })
	h3 := &http.Client{Transport: h3t, Timeout: 10 * time.Second}
	altSvc := `h3=":` + base[strings.LastIndexByte(base, ':')+1:] + `"; ma=86400`
	fetch := func(c *http.Client, method, url, body string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	var list struct{ Items []struct{ Slug string } }
	if _, b := fetch(h2, "GET", base+"/api/v1/products", ""); json.Unmarshal(b, &list) != nil || len(list.Items) == 0 {
		t.Fatalf("product list over h2: %s", b)
	}
	page := base + "/products/" + list.Items[0].Slug
	for _, c := range []struct {
		name   string
		client *http.Client
		proto  int
	}{{"HTTP/3", h3, 3}, {"HTTP/2", h2, 2}, {"HTTP/1.1", h1c, 1}} {
		fetch(c.client, "GET", page, "")
		resp, _ := fetch(c.client, "GET", page, "")
		if resp.ProtoMajor != c.proto || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			t.Errorf("%s: %s %d, Cache-Status %q: want a hit", c.name, resp.Proto, resp.StatusCode, resp.Header.Get("Cache-Status"))
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != tlsserve.DefaultHSTS {
			t.Errorf("%s: HSTS %q", c.name, got)
		}
		if got := resp.Header.Get("Alt-Svc"); got != altSvc {
			t.Errorf("%s: Alt-Svc %q, want %q", c.name, got, altSvc)
		}
	}

	// The app is told the client spoke https: its session cookie is Secure.
	var prod struct{ Variants []struct{ ID int64 } }
	if _, b := fetch(h1c, "GET", base+"/api/v1/products/"+list.Items[0].Slug, ""); json.Unmarshal(b, &prod) != nil || len(prod.Variants) == 0 {
		t.Fatalf("product over h1: %s", b)
	}
	resp, b := fetch(h2, "POST", base+"/api/v1/cart/items", fmt.Sprintf(`{"variant_id":%d,"quantity":1}`, prod.Variants[0].ID))
	if resp.StatusCode >= 300 {
		t.Fatalf("add to cart: %d %s", resp.StatusCode, b)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("session cookie over TLS without Secure: %q", c)
	}

	m := redirectAttr.FindStringSubmatch(tier.edge.ready)
	if m == nil {
		t.Fatalf("no http_redirect address in %q", tier.edge.ready)
	}
	redirect := func() {
		t.Helper()
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := noFollow.Get("http://" + m[1] + "/products/x?y=1")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if want := base + "/products/x?y=1"; r.StatusCode != 301 || r.Header.Get("Location") != want {
			t.Errorf("plain HTTP: %d to %q, want 301 to %q", r.StatusCode, r.Header.Get("Location"), want)
		}
	}
	redirect()

	// An upgrade hands on the TLS, UDP and redirect sockets.
	old := tier.edge.cmd.Process.Pid
	tier.edge.signal(t, syscall.SIGUSR2)
	tier.edge.waitLog(t, "edge upgrade: the new process serves")
	pm := upgradedPID.FindStringSubmatch(tier.edge.log())
	if pm == nil {
		t.Fatalf("no new pid in the log:\n%s", tier.edge.log())
	}
	pid, _ := strconv.Atoi(pm[1])
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	tier.edge.waitLog(t, "stopped cleanly")
	pollUntil(t, "the old edge to exit", func() bool { return exitedPID(old) })
	h2.CloseIdleConnections()
	h1c.CloseIdleConnections()
	h3t.CloseIdleConnections() // the old process closed its QUIC connections
	for _, c := range []*http.Client{h3, h2, h1c} {
		if resp, b := fetch(c, "GET", page, ""); resp.StatusCode != 200 || !bytes.Contains(b, []byte("<html")) || (c == h3 && resp.ProtoMajor != 3) {
			t.Errorf("after the upgrade: %s %d", resp.Proto, resp.StatusCode)
		}
	}
	redirect()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-tier.edge.done; err != nil {
		t.Errorf("the old edge exited with %v", err)
	}
}
