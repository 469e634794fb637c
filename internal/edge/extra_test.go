package edge

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"agora/internal/fault"
)

// TestAdminShowsExtra: what Edge.Scale provides (agora up's pool) is in
// /_agora/status under "scale", as a section of the status page with the
// page's nonce, and in /metrics; without it, none of them mention it.
func TestAdminShowsExtra(t *testing.T) {
	e, _ := newEdge(t)
	plain := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(plain.Close)
	if s := getText(t, plain.URL+"/_agora/status"); strings.Contains(s, `"scale"`) {
		t.Errorf("status without Edge.Scale mentions it: %s", s)
	}

	size := prometheus.NewGauge(prometheus.GaugeOpts{Name: "agora_up_pool_size", Help: "test"})
	size.Set(3)
	var nonce string
	e.Scale = &Extra{
		Status: func() any { return map[string]int{"size": 3} },
		HTML: func(n string) template.HTML {
			nonce = n
			return `<section id="scale">pool of 3</section>`
		},
		Metrics: size,
	}
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	var st struct {
		Scale struct{ Size int } `json:"scale"`
	}
	if err := json.Unmarshal([]byte(getText(t, admin.URL+"/_agora/status")), &st); err != nil || st.Scale.Size != 3 {
		t.Errorf("status: %+v, %v", st, err)
	}
	resp, err := http.Get(admin.URL + "/_agora/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	if !strings.Contains(page, `<section id="scale">pool of 3</section>`) || nonce == "" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "'nonce-"+nonce+"'") {
		t.Errorf("the section or its nonce is not on the page (nonce %q):\n%s", nonce, page)
	}
	if m := scrape(t, admin); m["agora_up_pool_size"] != 3 {
		t.Errorf("agora_up_pool_size = %v, want 3", m["agora_up_pool_size"])
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return body(t, resp)
}

// TestAdminReload: POST /_agora/reload needs the cluster secret, is absent
// without Edge.Scale.Reload, answers the reload's result, and passes an
// aborted reload's message and status on to the operator.
func TestAdminReload(t *testing.T) {
	e, _ := newEdge(t)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	if st, ans := adminPost(t, admin, "/_agora/reload", testSecret, ""); st != http.StatusNotFound || ans["error"] == nil {
		t.Errorf("reload without a pool: %d %v", st, ans)
	}
	fail := false
	calls := 0
	e.Scale = &Extra{Reload: func(context.Context) (any, error) {
		calls++
		if fail {
			return nil, fault.New(fault.Unavailable, "reload aborted at instance 1 of 2")
		}
		return map[string]int{"replaced": 2}, nil
	}}
	if st, _ := adminPost(t, admin, "/_agora/reload", "wrong", ""); st != http.StatusUnauthorized || calls != 0 {
		t.Errorf("reload with a wrong secret: %d, %d calls", st, calls)
	}
	if st, ans := adminPost(t, admin, "/_agora/reload", testSecret, ""); st != http.StatusOK || ans["replaced"] != float64(2) {
		t.Errorf("reload: %d %v", st, ans)
	}
	fail = true
	if st, ans := adminPost(t, admin, "/_agora/reload", testSecret, ""); st != http.StatusServiceUnavailable || ans["error"] != "reload aborted at instance 1 of 2" {
		t.Errorf("aborted reload: %d %v", st, ans)
	}
}
