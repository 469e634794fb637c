package edge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/edge/balance"
	"agora/internal/edge/discover"
	"agora/internal/edge/discover/dnstest"
)

// TestStatusSaysWhereBackendsComeFrom: with backends from DNS, the admin
// status and the status page name the DNS name, what it resolved to, and
// the error of a lookup that fails.
func TestStatusSaysWhereBackendsComeFrom(t *testing.T) {
	dns := dnstest.Start(t)
	dns.SetAddrs("app.agora.test", "10.0.0.1")
	e, _ := newEdge(t)
	e.Pool = balance.New(balance.Config{Log: e.Log})
	t.Cleanup(e.Pool.Close)
	tg, _, _ := discover.Parse("dns://app.agora.test:8080")
	e.Discovery = &discover.Resolver{Pool: e.Pool, Targets: []discover.Target{tg}, Server: dns.Addr, Log: e.Log}
	if err := e.Discovery.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	dns.Fail(true)
	_ = e.Discovery.Refresh(t.Context())
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)

	resp, err := http.Get(admin.URL + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	var st Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	d := st.Discovery
	if d == nil || len(d.Names) != 1 || d.Names[0].Name != "dns://app.agora.test:8080" || d.Server != dns.Addr ||
		len(d.Names[0].Backends) != 1 || d.Names[0].Resolved.IsZero() || d.Names[0].Error == "" {
		t.Fatalf("discovery status: %+v", d)
	}
	if len(st.Backends) != 1 || st.Backends[0] != "http://10.0.0.1:8080" {
		t.Errorf("backends %v: the failed lookup did not keep the last known set", st.Backends)
	}

	resp, err = http.Get(admin.URL + "/_agora/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	resp.Body.Close()
	for _, want := range []string{"Backends from DNS", "dns://app.agora.test:8080: 1 backends, resolved at", "failing 1×"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

// TestStatusWithoutDiscovery: a static pool has no discovery section.
func TestStatusWithoutDiscovery(t *testing.T) {
	e, _ := newEdge(t, "http://127.0.0.1:1")
	if d := e.Status().Discovery; d != nil {
		t.Errorf("static pool: discovery %+v", d)
	}
}
