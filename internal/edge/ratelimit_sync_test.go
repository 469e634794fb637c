package edge

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"agora/internal/edge/ratelimit"
)

// TestRateLimitSyncGoesToTheAppTier: a PoP behind a shield (--purge-origin)
// reconciles its rate limits with the app tier it follows the purge log
// from, not with its backends: a shield answers no /_internal/ request,
// so the PoP would limit alone and log a failure every period.
func TestRateLimitSyncGoesToTheAppTier(t *testing.T) {
	shield := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	app := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_internal/ratelimit" || r.Header.Get("Authorization") != "Bearer s3cret" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"now":42}`))
	})
	e, _ := newEdge(t, shield.URL)
	var err error
	if e.PurgeLog, err = url.Parse(app.URL); err != nil {
		t.Fatal(err)
	}
	tot, err := e.SyncRateLimits("s3cret")(context.Background(), ratelimit.Report{Edge: "pop-1"})
	if err != nil || tot.Now != 42 {
		t.Fatalf("sync: %+v, %v; want the app tier's totals", tot, err)
	}
	if n := shield.hits.Load(); n != 0 {
		t.Errorf("the shield got %d rate limit reports, want 0", n)
	}
}
