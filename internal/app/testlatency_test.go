package app

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"agora/internal/catalog"
)

// TestTestLatencyHoldsRequestsNotHealthChecks (issue 11): with a test
// latency every request waits before its handler runs, so it is seen in
// flight, while health checks answer at once (a checker must not take a
// merely slow instance out); a request whose client leaves stops waiting.
// The latency is an hour, so nothing here depends on how long a wait took.
func TestTestLatencyHoldsRequestsNotHealthChecks(t *testing.T) {
	ts := sqliteServer(t, Config{TestLatency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.http.URL+"/", nil)
		res, err := ts.http.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitMetric(t, ts, "agora_http_in_flight", "1")
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := ts.get(t, path); r.status != http.StatusOK {
			t.Errorf("GET %s during a held request: %d", path, r.status)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the request was not held: %v", err)
	default:
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("a held request answered")
	}
	waitMetric(t, ts, "agora_http_in_flight", "0")
}

func TestTestLatencyNegativeRefused(t *testing.T) {
	db := sqliteServer(t, Config{}).db
	_, err := New(Config{TestLatency: -time.Millisecond}, Deps{DB: db, Catalog: catalog.New(db)})
	if err == nil || !strings.Contains(err.Error(), "test latency") {
		t.Fatalf("New with a negative test latency: %v", err)
	}
}
