package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientGoneIsNotAServerError (issue 9, item 10): a request whose
// client went away (its context canceled: the connection closed) while the
// database was being asked is logged at debug with status 499 and counted
// as 499, never as a 5xx error; the same class for the storefront, the API
// a handler that gives up without answering, and a health checker that
// hangs up on /readyz (not "database unreachable").
func TestClientGoneIsNotAServerError(t *testing.T) {
	ts := sqliteServer(t, Config{AccessLog: true})
	ts.mux.HandleFunc("GET /test/gone", func(w http.ResponseWriter, r *http.Request) {
		// A handler that sees its client gone and answers nothing.
	})
	paths := []string{"/categories/anything", "/api/v1/products", "/test/gone", "/readyz"}
	for _, p := range paths {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the client is gone before the handler asks the database
		r := httptest.NewRequest("GET", p, nil).WithContext(ctx)
		ts.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	accessLines := 0
	for _, line := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "ERROR" || rec["level"] == "WARN" {
			t.Errorf("logged as a failure: %s", line)
		}
		if rec["msg"] == "request" {
			accessLines++
			if rec["status"] != float64(499) || rec["level"] != "DEBUG" {
				t.Errorf("access log %s; want status 499 at DEBUG", line)
			}
		}
	}
	if accessLines != len(paths) {
		t.Errorf("%d access-log lines, want one per request (%d)", accessLines, len(paths))
	}
	body := ts.scrapeMetrics().Body.String()
	for _, route := range []string{"GET /categories/{slug}", "GET /api/v1/products", "GET /test/gone", "GET /readyz"} {
		if want := fmt.Sprintf(`agora_http_requests_total{code="499",method="GET",route=%q} 1`, route); !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `code="5`) {
		t.Errorf("a gone client counted as a server error")
	}
}
