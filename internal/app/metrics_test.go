package app

import (
	"net/http"
	"strings"
	"testing"
)

// TestMetrics: after requests, /metrics shows them by route pattern (never
// the raw path), with the latency histogram, the in-flight gauge, database
// pool stats of both pools and the Go runtime.
func TestMetrics(t *testing.T) {
	ts := sqliteServer(t, Config{})
	ts.get(t, "/healthz")
	ts.get(t, "/healthz")
	ts.get(t, "/api/v1/products/no-such-product")
	ts.get(t, "/api/v1/unknown/thing")
	ts.get(t, "/no/such/page/42")
	ts.do(t, newRequest(t, "BREW", ts.http.URL+"/healthz", ""))

	res := ts.scrapeMetrics()
	text := res.Body.String()
	for _, want := range []string{
		`agora_http_requests_total{code="200",method="GET",route="GET /healthz"} 2`,
		`agora_http_requests_total{code="404",method="GET",route="GET /api/v1/products/{slug}"} 1`,
		`agora_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`agora_http_requests_total{code="405",method="OTHER",route="unmatched"} 1`,
		`agora_http_request_duration_seconds_count{route="GET /healthz"} 2`,
		`agora_http_request_duration_seconds_bucket{route="GET /healthz",le="0.001"}`,
		`agora_http_in_flight 0`,
		`go_sql_open_connections{db_name="read"}`,
		`go_sql_open_connections{db_name="write"}`,
		`go_goroutines`,
		`process_open_fds`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "no-such") || strings.Contains(text, "/42") {
		t.Errorf("a raw path became a label:\n%s", text)
	}
	if ct := res.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	if res.Code != http.StatusOK {
		t.Errorf("status %d", res.Code)
	}
}
