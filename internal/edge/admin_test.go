package edge

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/app"
	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/edge/purgelog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

const testSecret = "s3cret"

// appOrigin is a backend whose /_internal/ paths are a real app tier over
// SQLite (so purges go through a real purge log) and whose pages are h's.
func appOrigin(t *testing.T, secret string, h http.HandlerFunc) *origin {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	a, err := app.New(app.Config{ClusterSecret: secret},
		app.Deps{DB: db, Catalog: catalog.New(db), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	internal := a.Handler()
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_internal/") {
			internal.ServeHTTP(w, r)
			return
		}
		h(w, r)
	})
}

// follow makes e follow the purge log of the app at origin, as `agora edge`
// does, and returns once the follower has its position in the log.
func follow(t *testing.T, e *Edge, origin string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.Follower = &purgelog.Follower{
		Origin: origin, Secret: testSecret, Apply: e.ApplyPurge, Reset: e.Store.PurgeAll,
		Log: slog.New(slog.DiscardHandler), Wait: 5 * time.Second, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Follower.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// An entry of its own: once the follower is at it, it has answered at
	// least once, so what is appended next reaches it as an entry.
	waitApplied(t, e, appendDirect(t, origin, `{"tags":["test-start"]}`))
}

// appendDirect posts body to the app's purge log and returns the seq.
func appendDirect(t *testing.T, origin, body string) int64 {
	t.Helper()
	req, _ := http.NewRequest("POST", origin+"/_internal/purges", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct{ Seq int64 }
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("append: %s %v", resp.Status, err)
	}
	return ans.Seq
}

func waitApplied(t *testing.T, e *Edge, seq int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a failsafe
	defer cancel()
	if err := e.Follower.WaitApplied(ctx, seq); err != nil {
		t.Fatalf("follower at %d, never reached %d", e.Follower.Applied(), seq)
	}
}

// adminPost posts body to path on the admin server with the bearer auth
// (none if ""), and returns the status and the decoded JSON answer.
func adminPost(t *testing.T, admin *httptest.Server, path, auth, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", admin.URL+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", body, err)
	}
	return resp.StatusCode, ans
}

// versioned answers a public, tagged page whose body changes on every fetch.
func versioned() http.HandlerFunc {
	var mu sync.Mutex
	version := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		version++
		v := version
		mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=600, stale-while-revalidate=60")
		w.Header().Set("Surrogate-Key", "product-42 home")
		fmt.Fprintf(w, "v%d", v)
	}
}

func TestAdminPurge(t *testing.T) {
	o := appOrigin(t, testSecret, versioned())
	e, _ := newEdge(t, o.URL)
	follow(t, e, o.URL)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)

	get := func(path string) (string, string) {
		resp := do(e, "GET", "http://shop.test"+path, nil)
		return body(t, resp), resp.Header.Get("Cache-Status")
	}
	var last int64
	purge := func(body string) {
		t.Helper()
		st, ans := adminPost(t, admin, "/_agora/purge", testSecret, body)
		seq, _ := ans["seq"].(float64)
		if st != 200 || int64(seq) <= last {
			t.Fatalf("%s: %d %v, want 200 and a seq past %d", body, st, ans, last)
		}
		last = int64(seq)
		if e.Follower.Applied() < last {
			t.Fatalf("%s: answered seq %d before the edge applied it (at %d)", body, last, e.Follower.Applied())
		}
	}

	get("/p/42")
	for _, auth := range []string{"", "wrong"} {
		if st, ans := adminPost(t, admin, "/_agora/purge", auth, `{"tags":["product-42"]}`); st != 401 || ans["error"] == nil {
			t.Errorf("auth %q: %d %v", auth, st, ans)
		}
	}
	if b, _ := get("/p/42"); b != "v1" {
		t.Fatalf("unauthorized purge applied: %q", b)
	}

	// Soft: the old page once more, one refresh behind it.
	purge(`{"tags":["product-42"],"soft":true}`)
	if b, cs := get("/p/42"); b != "v1" || !strings.Contains(cs, "stale-while-revalidate") {
		t.Errorf("after soft purge: %q %q", b, cs)
	}
	e.Wait()
	if b, cs := get("/p/42"); b != "v2" || !isHit(&http.Response{Header: http.Header{"Cache-Status": {cs}}}) {
		t.Errorf("after refresh: %q %q", b, cs)
	}

	// Hard: gone, the next request goes to origin.
	purge(`{"tags":["home"],"soft":false}`)
	if b, cs := get("/p/42"); b != "v3" || cs != "agora; fwd=uri-miss; stored" {
		t.Errorf("after hard purge: %q %q", b, cs)
	}
	get("/p/7") // v4, stays
	// URLs through the log, always hard, fragment ignored.
	purge(`{"urls":["http://shop.test/p/42#reviews"],"soft":true}`)
	if b, _ := get("/p/42"); b != "v5" {
		t.Errorf("after URL purge: %q", b)
	}
	if b, _ := get("/p/7"); b != "v4" {
		t.Errorf("URL purge took another page: %q", b)
	}
	purge(`{"all":true}`)
	if b, _ := get("/p/7"); b != "v6" {
		t.Errorf("after purging all: %q", b)
	}
	// Soft all: every page once more while its refresh runs, not a cold
	// cache (before, "soft" was ignored when "all" was set).
	purge(`{"all":true,"soft":true}`)
	if b, cs := get("/p/7"); b != "v6" || !strings.Contains(cs, "stale-while-revalidate") {
		t.Errorf("after soft purge of all: %q %q, want the old page, stale", b, cs)
	}
	e.Wait()
	if b, _ := get("/p/7"); b != "v7" {
		t.Errorf("after the refresh that followed a soft purge of all: %q", b)
	}

	resp, err := http.Get(admin.URL + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Entries != 1 || st.Hits == 0 || st.Misses == 0 || st.StaleServed != 2 || len(st.Backends) != 1 || st.PurgeSeq == nil || *st.PurgeSeq != last {
		t.Errorf("status %+v, want purge seq %d", st, last)
	}
}

// TestAdminPurgeReachesEveryEdge: a purge posted to one edge reaches
// another that follows the same purge log (DESIGN.md "Purge log").
func TestAdminPurgeReachesEveryEdge(t *testing.T) {
	o := appOrigin(t, testSecret, versioned())
	asked, _ := newEdge(t, o.URL)
	other, _ := newEdge(t, o.URL)
	follow(t, asked, o.URL)
	follow(t, other, o.URL)
	admin := httptest.NewServer(asked.AdminHandler(testSecret))
	t.Cleanup(admin.Close)

	before := body(t, do(other, "GET", "http://shop.test/p/42", nil))
	st, ans := adminPost(t, admin, "/_agora/purge", testSecret, `{"tags":["product-42"]}`)
	if st != 200 {
		t.Fatalf("purge: %d %v", st, ans)
	}
	waitApplied(t, other, int64(ans["seq"].(float64)))
	if after := body(t, do(other, "GET", "http://shop.test/p/42", nil)); after == before {
		t.Errorf("the other edge still serves %q", after)
	}
}

func TestAdminPurgeRefused(t *testing.T) {
	o := appOrigin(t, testSecret, versioned())
	e, _ := newEdge(t, o.URL)
	follow(t, e, o.URL)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	long := strings.Repeat("x", cachehdr.MaxTagBytes+1)
	many := `["t` + strings.Repeat(`","t`, maxPurgeItems) + `"]`
	for _, c := range []struct{ body, msg string }{
		{``, "JSON object"},
		{`{"tags":"product-42"}`, "JSON object"},
		{`{"tags":["a"]} {"all":true}`, "one JSON object"},
		{`{"tag":["product-42"]}`, `unknown field "tag"`},
		{`{}`, "nothing to purge"},
		{`{"tags":[],"urls":[]}`, "nothing to purge"},
		{`{"tags":[""]}`, "empty"},
		{`{"tags":["product-42 home"]}`, "one token"},
		{`{"tags":["product-42\nhome"]}`, "one token"},
		{`{"tags":["` + long + `"]}`, "longer than"},
		{`{"tags":` + many + `}`, "at most 256"},
		{`{"tags":["agora:all"]}`, "reserved"},
		{`{"urls":["/p/42"]}`, "absolute"},
		{`{"urls":["ftp://shop.test/p/42"]}`, "absolute"},
		{`{"urls":["http://shop.test/p?q=a b"]}`, "one token"},
	} {
		st, ans := adminPost(t, admin, "/_agora/purge", testSecret, c.body)
		if msg, _ := ans["error"].(string); st != 400 || !strings.Contains(msg, c.msg) {
			t.Errorf("%.60s: %d %q, want 400 saying %q", c.body, st, msg, c.msg)
		}
	}
	// Nothing refused reached the log: the next entry follows the last.
	applied := e.Follower.Applied()
	if _, ans := adminPost(t, admin, "/_agora/purge", testSecret, `{"tags":["product-42"]}`); ans["seq"] != float64(applied+1) {
		t.Errorf("seq %v after refusals, want %d", ans["seq"], applied+1)
	}
}

// TestAdminPurgeWithoutLog: purges the edge cannot append to a purge log
// say why and what to do; those that got past the checks still purge this
// edge, which keeps working in front of a foreign origin (DESIGN.md).
func TestAdminPurgeWithoutLog(t *testing.T) {
	foreign := newOrigin(t, versioned())
	otherSecret := appOrigin(t, "another-secret", versioned())
	for _, c := range []struct {
		name, backend, secret string
		status                int
		msg                   string
		appliedHere           bool
	}{
		{"no secret", foreign.URL, "", 503, "--cluster-secret", false},
		{"foreign origin", foreign.URL, testSecret, 502, "Agora app tier?", true},
		{"app with another secret", otherSecret.URL, testSecret, 502, "same --cluster-secret", true},
		{"app unreachable", "http://127.0.0.1:1", testSecret, 502, "unreachable", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The page is stored from a working origin; then the
			// backend becomes the one under test.
			e, _ := newEdge(t, foreign.URL)
			if resp := do(e, "GET", "http://shop.test/p/42", nil); resp.StatusCode != 200 || e.Store.Stats().Entries != 1 {
				t.Fatalf("page not stored: %d", resp.StatusCode)
			}
			b, err := url.Parse(c.backend)
			if err != nil {
				t.Fatal(err)
			}
			e.Pool.Set([]*url.URL{b})
			admin := httptest.NewServer(e.AdminHandler(c.secret))
			t.Cleanup(admin.Close)
			st, ans := adminPost(t, admin, "/_agora/purge", testSecret, `{"tags":["product-42"]}`)
			if msg, _ := ans["error"].(string); st != c.status || !strings.Contains(msg, c.msg) {
				t.Errorf("%d %q, want %d saying %q", st, msg, c.status, c.msg)
			}
			if stored := e.Store.Stats().Entries; (stored == 0) != c.appliedHere {
				t.Errorf("entries after the purge: %d, applied here: want %v", stored, c.appliedHere)
			}
		})
	}
}

// scrape reads the admin listener's /metrics into series → value, a
// series written as in the text format: name{label="value"}.
func scrape(t *testing.T, admin *httptest.Server) map[string]float64 {
	t.Helper()
	resp, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestAdminMetrics(t *testing.T) {
	o := appOrigin(t, testSecret, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=600")
		io.WriteString(w, "page "+r.URL.Path)
	})
	e, _ := newEdge(t, o.URL)
	unfollowed := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(unfollowed.Close)
	if m := scrape(t, unfollowed); len(m) == 0 {
		t.Fatal("no series")
	} else if _, ok := m["agora_edge_purge_seq_applied"]; ok {
		t.Error("purge seq reported without a follower")
	}

	follow(t, e, o.URL)
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)
	for _, p := range []string{"/a", "/a", "/a", "/b", "/b", "/c"} { // 3 misses, 3 hits
		do(e, "GET", "http://shop.test"+p, nil)
	}
	m := scrape(t, admin)
	st := e.Status()
	for series, want := range map[string]float64{
		`agora_edge_requests_total{cache="hit"}`:  3,
		`agora_edge_requests_total{cache="miss"}`: 3,
		`agora_edge_coalesced_total`:              0,
		`agora_edge_stale_served_total`:           0,
		`agora_edge_revalidations_total`:          0,
		`agora_edge_compressions_total`:           float64(st.Compressions),
		`agora_edge_purged_in_flight_total`:       0,
		`agora_edge_cache_entries`:                3,
		`agora_edge_cache_bytes`:                  float64(st.Bytes),
		`agora_edge_cache_max_bytes`:              64 << 20, // newEdge's store
		`agora_edge_backends`:                     1,
		`agora_edge_purge_seq_applied`:            float64(e.Follower.Applied()),
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if m[`agora_edge_cache_bytes`] == 0 || m[`agora_edge_purge_seq_applied`] == 0 {
		t.Errorf("cache bytes %v, purge seq %v: want both above 0", m[`agora_edge_cache_bytes`], m[`agora_edge_purge_seq_applied`])
	}
	for _, series := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := m[series]; !ok {
			t.Errorf("%s missing", series)
		}
	}
	resp, err := http.Get(admin.URL + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, resp); resp.StatusCode != 200 || !strings.Contains(b, "goroutine profile") {
		t.Errorf("pprof on the admin listener: %d %.80q", resp.StatusCode, b)
	}
}

func TestAdminStatusPage(t *testing.T) {
	e, _ := newEdge(t)
	// Host escaping in net/url leaves < and > alone, so the backend's
	// String() carries the markup.
	e.Backends = []*url.URL{{Scheme: "http", Host: "<script>alert(1)</script>"}}
	admin := httptest.NewServer(e.AdminHandler(testSecret))
	t.Cleanup(admin.Close)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(admin.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/_agora/" {
		t.Errorf("/: %s to %q, want a redirect to /_agora/", resp.Status, resp.Header.Get("Location"))
	}

	resp, err = http.Get(admin.URL + "/_agora/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status page: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`id="chart-hit-ratio"`, `id="chart-rps"`, `<polyline`, `/_agora/status`,
		`http://&lt;script&gt;alert(1)`, `not following`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Count(page, "<script") != 1 {
		t.Error("the backend URL's markup reached the page unescaped")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "'nonce-") {
		t.Errorf("CSP %q", csp)
	}
	for _, attr := range []string{"src=", "href=", "@import", "url("} {
		if strings.Contains(page, attr) {
			t.Errorf("page loads something (%s): it must be self-contained", attr)
		}
	}
}

// FuzzPurgeRequest: whatever the body, an accepted purge becomes tags the
// purge log stores and gives back unchanged (space-joined, then split),
// within the bounds the app enforces.
func FuzzPurgeRequest(f *testing.F) {
	for _, s := range []string{
		`{"tags":["product-42"],"soft":true}`,
		`{"urls":["https://shop.test/p?q=1&utm_source=x#f"]}`,
		`{"all":true,"tags":["x y"]}`,
		`{"tags":["a\u00a0b"]}`,
		`{"urls":["http://shop.test/a b"]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var req PurgeRequest
		if json.Unmarshal([]byte(s), &req) != nil {
			return
		}
		tags, err := req.logTags()
		if err != nil {
			return
		}
		if len(tags) == 0 || len(tags) > maxPurgeItems {
			t.Fatalf("%d tags", len(tags))
		}
		if got := strings.Fields(strings.Join(tags, " ")); strings.Join(got, "\x00") != strings.Join(tags, "\x00") {
			t.Fatalf("tags %q do not survive the log: %q", tags, got)
		}
		for _, tag := range tags {
			if len(tag) > cachehdr.MaxTagBytes {
				t.Fatalf("tag of %d bytes", len(tag))
			}
			if strings.HasPrefix(tag, reservedTagPrefix) && tag != allTag && !strings.HasPrefix(tag, urlTagPrefix) {
				t.Fatalf("reserved tag %q from an operator", tag)
			}
		}
	})
}
