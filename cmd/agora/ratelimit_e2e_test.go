package main_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"agora/internal/loadtest"
)

// rateTier is a seeded SQLite store behind one app, for edges started by
// each test with its own limits.
type rateTier struct{ db, media, secret, app string }

func startRateTier(t *testing.T) rateTier {
	t.Helper()
	data := t.TempDir()
	rt := rateTier{db: "sqlite:" + filepath.Join(data, "agora.db"), media: filepath.Join(data, "media"), secret: "e2e-rate-secret"}
	if code, out, errOut := run(t, "seed", "--db", rt.db, "--media", rt.media, "--products", "20", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	a := start(t, "app", "--db", rt.db, "--media", rt.media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
		"--cluster-secret", rt.secret, "--drain-delay", "0s", "--access-log=false")
	rt.app = a.url
	return rt
}

// edge starts an edge in front of the tier's app; the test's own requests
// come from loopback, which is exempt by default, so it limits loopback.
func (rt rateTier) edge(t *testing.T, args ...string) (*server, string) {
	t.Helper()
	// A wrong password costs the app an argon2id hash: slow in a race
	// build on a busy machine, and not what these tests time.
	return startEdge(t, append([]string{"--backends", rt.app, "--cluster-secret", rt.secret, "--rate-limit-exempt", "none",
		"--response-header-timeout", "60s"}, args...)...)
}

// TestEdgeRateLimitsUnderLoad runs the load tool's shopper mix through an
// edge whose cart limit is low: adds to cart past 1/s (burst 3) get 429,
// and no page view does.
func TestEdgeRateLimitsUnderLoad(t *testing.T) {
	t.Parallel()
	rt := startRateTier(t)
	e, _ := rt.edge(t, "--rate-limit-cart", "1/s,burst=3")
	out := filepath.Join(t.TempDir(), "run")
	run(t, "loadtest", "--target", e.url, "--rate", "10", "--duration", "4s", "--seed", "7", "--timeout", "60s",
		"--mix", "home=1,category=1,product=2,cart=4", "--out", out) // exit 1: the 429s are failures to it
	rows := readCSV(t, filepath.Join(out, loadtest.RequestsFile))
	col := func(name string) int { return slices.Index(loadtest.CSVHeader, name) }
	allowed, limited := 0, 0
	var first, last float64 = -1, 0
	for _, r := range rows {
		kind, status := loadtest.Kind(r[col("kind")]), r[col("status")]
		switch {
		case kind != loadtest.Cart:
			if status != "200" {
				t.Errorf("%s %s: %s (%s), want 200: browsing must not be limited", r[col("method")], r[col("path")], status, r[col("error")])
			}
		case status == "429":
			limited++
		case status == "200" || status == "201":
			allowed++
			sent, _ := strconv.ParseFloat(r[col("sent_s")], 64)
			if first < 0 {
				first = sent
			}
			last = max(last, sent)
		default:
			t.Errorf("add to cart: %s (%s)", status, r[col("error")])
		}
	}
	// The bucket: 3 at once, then 1 a second over the time adds were sent.
	bound := 3 + int(last-first) + 1
	t.Logf("adds to cart: %d allowed (bound %d over %.1f s), %d refused", allowed, bound, last-first, limited)
	if limited == 0 || allowed > bound {
		t.Fatalf("adds to cart: %d allowed, %d refused; want at most %d allowed and some refused", allowed, limited, bound)
	}
}

// TestEdgeRateLimitLogin: password guesses through the edge past the
// login limit get 429 with Retry-After and a short body (JSON for the
// API, text for the HTML form); the same client still browses.
func TestEdgeRateLimitLogin(t *testing.T) {
	t.Parallel()
	rt := startRateTier(t)
	e, _ := rt.edge(t, "--rate-limit-login", "3/h,burst=3") // no refill while a slow build hashes
	c := &http.Client{}
	statuses := []int{}
	for i := range 5 {
		resp, body := fetch(t, c, newPost(t, e.url+"/api/v1/session", wrongLogin(i)))
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 1 || ra > 1200 ||
				!strings.Contains(body, `"code":"rate_limited"`) || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("429 to the API: Retry-After %q, %s %q", resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
			}
		}
	}
	if !slices.Equal(statuses, []int{401, 401, 401, 429, 429}) {
		t.Fatalf("five wrong logins got %v, want three answers from the app then 429s", statuses)
	}
	form := newPost(t, e.url+"/account/login", "email=nobody%40example.com&password=guess")
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := fetch(t, c, form); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "too many login requests") {
		t.Errorf("HTML login past the limit: %d %q", resp.StatusCode, body)
	}
	if resp, _ := fetch(t, c, newGet(t, e.url+"/")); resp.StatusCode != http.StatusOK {
		t.Errorf("the home page for the limited client: %d", resp.StatusCode)
	}
}

// wrongLogin is a login body with a wrong password for an account of its
// own, so the app's own throttle (5 failures per account) stays out of
// the way: 429s here are the edge's.
func wrongLogin(i int) string {
	return `{"email":"nobody` + strconv.Itoa(i) + `@example.com","password":"guess"}`
}

func newPost(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// rateSyncs is how many times an edge has synced its limits.
func rateSyncs(t *testing.T, admin string) uint64 {
	t.Helper()
	resp, body := fetch(t, http.DefaultClient, newGet(t, admin+"/_agora/status"))
	var st struct {
		RateLimits struct {
			Syncs uint64 `json:"syncs"`
		} `json:"rate_limits"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	return st.RateLimits.Syncs
}

// awaitSyncs waits until the edge has begun and finished n more syncs.
func awaitSyncs(t *testing.T, admin string, n uint64) {
	t.Helper()
	want := rateSyncs(t, admin) + n
	deadline := time.Now().Add(20 * time.Second)
	for rateSyncs(t, admin) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not sync %d more times", admin, n)
		}
		time.Sleep(20 * time.Millisecond) // polling the edge's own count
	}
}

// TestEdgeRateLimitSharedByTwoEdges: two edges on one app tier hold one
// login limit. A client that spends its burst on edge A is refused on
// edge B once both have synced; alone, B would have given it a whole
// burst more.
func TestEdgeRateLimitSharedByTwoEdges(t *testing.T) {
	t.Parallel()
	rt := startRateTier(t)
	limit := []string{"--rate-limit-login", "6/h,burst=6", "--rate-limit-sync", "200ms"}
	a, adminA := rt.edge(t, limit...)
	b, adminB := rt.edge(t, limit...)
	c := &http.Client{}
	tries := 0
	login := func(base string) int {
		tries++
		resp, _ := fetch(t, c, newPost(t, base+"/api/v1/session", wrongLogin(tries)))
		return resp.StatusCode
	}
	allowed := func(base string, n int) int {
		k := 0
		for range n {
			if login(base) != http.StatusTooManyRequests {
				k++
			}
		}
		return k
	}
	if n := allowed(a.url, 8); n != 6 {
		t.Fatalf("edge A let %d of 8 through, want its burst of 6", n)
	}
	awaitSyncs(t, adminA, 2) // a whole sync after the logins: A reported them
	awaitSyncs(t, adminB, 2) // and B learned of them
	if n := allowed(b.url, 8); n != 0 {
		t.Fatalf("edge B let %d more through after A spent the burst; want 0", n)
	}
	// Both at once, within one sync period, may go over: the documented
	// slack is one burst per edge; once synced, the total holds.
	t.Logf("combined: 6 allowed of 16 across two edges with a burst of 6")
}
