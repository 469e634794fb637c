package edge

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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
