package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/edge/cache"
)

// TestDrainCommand: agora drain holds a backend out through an edge's admin
// API and --undo puts it back; mistakes are told plainly.
func TestDrainCommand(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(app.Close)
	u, _ := url.Parse(app.URL)
	st, err := cache.NewStore(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	e := &edge.Edge{Store: st, Backends: []*url.URL{u}, Log: slog.New(slog.DiscardHandler)}
	admin := httptest.NewServer(e.AdminHandler("s3cret"))
	t.Cleanup(admin.Close)
	env := map[string]string{"AGORA_CLUSTER_SECRET": "s3cret"}
	state := func() balance.State { return e.Status().Pool.Backends[0].State }

	code, out, errOut := runMain([]string{"drain", "--admin", admin.URL, u.Host}, env)
	if code != 0 || !strings.Contains(out, app.URL+": draining, 0 in flight") || state() != balance.Draining {
		t.Fatalf("drain: exit %d, stdout %q, stderr %q, state %v", code, out, errOut, state())
	}
	code, out, errOut = runMain([]string{"drain", "--admin", admin.URL, "--undo", app.URL}, env)
	if code != 0 || !strings.Contains(out, "back in the pool (healthy)") || state() != balance.Healthy {
		t.Fatalf("undo: exit %d, stdout %q, stderr %q, state %v", code, out, errOut, state())
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		msg  string
	}{
		{[]string{"drain", "--admin", admin.URL, "10.9.9.9:1"}, env, "is not in the pool; its backends are: " + app.URL},
		{[]string{"drain", "--admin", admin.URL, u.Host}, map[string]string{"AGORA_CLUSTER_SECRET": "wrong"}, "refused the cluster secret"},
		{[]string{"drain", "--admin", admin.URL, u.Host}, nil, "--cluster-secret"},
		{[]string{"drain", "--admin", admin.URL}, env, "give one backend"},
	} {
		code, _, errOut := runMain(c.args, c.env)
		if code == 0 || !strings.Contains(errOut, c.msg) || strings.Contains(errOut, "wrong") {
			t.Errorf("%v: exit %d, stderr %q; want it to say %q", c.args, code, errOut, c.msg)
		}
	}
	if state() != balance.Healthy {
		t.Errorf("a refused drain changed the backend: %v", state())
	}
}
