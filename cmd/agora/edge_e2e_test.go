package main_test

// The edge tier end to end (DESIGN.md "Edge tier", "Purge log"): the real
// `agora edge` in front of real `agora app` processes (or of a test origin),
// on loopback, seen the way a shopper or an operator sees it.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// edgeTier is a seeded SQLite store served by app processes behind one
// `agora edge`, all sharing a cluster secret.
type edgeTier struct {
	db, media, secret string
	apps              []*server
	edge              *server
	admin             string // the edge's admin listener, http://host:port
}

// startEdgeTier seeds a store and starts n apps on it and an edge in front.
func startEdgeTier(t *testing.T, n int) *edgeTier {
	t.Helper()
	data := t.TempDir()
	tier := &edgeTier{db: "sqlite:" + filepath.Join(data, "agora.db"), media: filepath.Join(data, "media"), secret: "e2e-cluster-secret"}
	if code, out, errOut := run(t, "migrate", "--db", tier.db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "seed", "--db", tier.db, "--media", tier.media, "--products", "30", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	var backends []string
	for range n {
		a := start(t, "app", "--db", tier.db, "--media", tier.media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
			"--cluster-secret", tier.secret, "--drain-delay", "0s", "--access-log=false")
		tier.apps = append(tier.apps, a)
		backends = append(backends, a.url)
	}
	tier.edge, tier.admin = startEdge(t, "--backends", strings.Join(backends, ","), "--cluster-secret", tier.secret)
	return tier
}

// ownerKey makes an owner and returns an admin API key for them.
func (tier *edgeTier) ownerKey(t *testing.T) string {
	t.Helper()
	if code, out, errOut := run(t, "user", "create", "--db", tier.db, "--email", "owner@example.com", "--name", "Olivia", "--role", "owner"); code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run(t, "apikey", "create", "--db", tier.db, "--email", "owner@example.com", "--name", "edge e2e")
	m := printedKey.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("apikey create: %d %q %s", code, out, errOut)
	}
	return m[1]
}

var adminAttr = regexp.MustCompile(`admin=(http://[^/\s]+)/`)

// startEdge runs `agora edge` on loopback ports of its choosing until it
// serves, and returns it and the base URL of its admin listener.
func startEdge(t *testing.T, args ...string) (*server, string) {
	t.Helper()
	return startEdgeBinary(t, binary, args...)
}

// startEdgeBinary is startEdge with another build of agora (plainBinary).
func startEdgeBinary(t *testing.T, bin string, args ...string) (*server, string) {
	t.Helper()
	s := startBinary(t, bin, append([]string{"edge", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, args...)...)
	m := adminAttr.FindStringSubmatch(s.ready)
	if m == nil {
		t.Fatalf("agora edge did not say where its admin listener is: %s", s.ready)
	}
	return s, m[1]
}

// kill ends s with SIGKILL: no draining, no goodbye.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// fetch does req with c and returns the response and its whole body.
func fetch(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

func newGet(t *testing.T, url string, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// isHit reports whether a Cache-Status says the edge answered from its
// store without going to the origin (RFC 9211 "hit").
func isHit(resp *http.Response) bool {
	return strings.HasPrefix(resp.Header.Get("Cache-Status"), "agora; hit")
}

// adminProduct is what the tests need of a product, from the admin API.
type adminProduct struct {
	Slug     string `json:"slug"`
	Variants []struct {
		ID int64 `json:"id"`
	} `json:"variants"`
}

// firstProduct returns the first product of the store at base, with at
// least one variant, through the admin API with key.
func firstProduct(t *testing.T, base, key string) adminProduct {
	t.Helper()
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	adminDo(t, "GET", base+"/api/v1/admin/products?per_page=1", key, "", &list)
	if len(list.Items) == 0 {
		t.Fatal("no product")
	}
	var p adminProduct
	adminDo(t, "GET", fmt.Sprintf("%s/api/v1/admin/products/%d", base, list.Items[0].ID), key, "", &p)
	if len(p.Variants) == 0 {
		t.Fatalf("no variant: %+v", p)
	}
	return p
}

// TestEdgeE2EPurgePropagation: a price changed through the admin API shows
// on the edge's cached product page, without any cache-busting by the
// shopper, within a second (the edge cache issue's acceptance criterion),
// every time out of 100.
func TestEdgeE2EPurgePropagation(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 1)
	key := tier.ownerKey(t)
	base := tier.edge.url

	p := firstProduct(t, base, key)
	page := base + "/products/" + p.Slug
	variant := fmt.Sprintf("%s/api/v1/admin/variants/%d", base, p.Variants[0].ID)

	c := &http.Client{}
	fetch(t, c, newGet(t, page))
	if resp, _ := fetch(t, c, newGet(t, page)); !isHit(resp) {
		t.Fatalf("second GET %s: Cache-Status %q, want a hit", page, resp.Header.Get("Cache-Status"))
	}

	const changes = 100
	latencies := make([]time.Duration, 0, changes)
	for i := range changes {
		// €9876.00, €9876.01…: shown in the page's offers as "price":"9876.07",
		// a string no seeded price makes.
		cents := 987600 + i
		want := fmt.Sprintf(`"price":"%d.%02d"`, cents/100, cents%100)
		adminDo(t, "PATCH", variant, key, fmt.Sprintf(`{"price_cents":%d}`, cents), nil)
		changed := time.Now()
		deadline := changed.Add(60 * time.Second) // a failsafe for a broken test, inside the pages' 300 s s-maxage: each turn is a real check
		for {
			resp, body := fetch(t, c, newGet(t, page))
			if resp.StatusCode == 200 && strings.Contains(body, want) {
				latencies = append(latencies, time.Since(changed))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("change %d: the edge still does not show %s after 60 s (status %d, Cache-Status %q)\nedge log:\n%s\napp log:\n%s",
					i, want, resp.StatusCode, resp.Header.Get("Cache-Status"), tier.edge.log(), tier.apps[0].log())
			}
			time.Sleep(time.Millisecond) // the poll's pace, not a synchronization: the condition is checked each turn
		}
	}
	slices.Sort(latencies)
	p50, p99, worst := latencies[changes/2-1], latencies[changes*99/100-1], latencies[changes-1]
	t.Logf("purge propagation over %d price changes: p50 %v, p99 %v, max %v", changes, p50, p99, worst)
	// No bound on these times here: they are the machine's, and a loaded
	// CI box makes any bound flaky. What the test asserts is that every
	// change arrives by purge: within the failsafe, far inside the page's
	// 300 s s-maxage, so never by expiry. bench/pops.sh measures them.
}

// cachedPage is a page the edge has stored, as a shopper last saw it.
type cachedPage struct {
	path, body string
}

// TestEdgeE2EKillEveryApp: with every app process killed, the pages the edge
// holds still answer with the same content, and say so when they are stale;
// a page it never held gets a plain "we'll be right back" page.
func TestEdgeE2EKillEveryApp(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 2)
	c := &http.Client{}
	_, home := fetch(t, c, newGet(t, tier.edge.url+"/"))
	paths := []string{"/"}
	for _, re := range []*regexp.Regexp{categoryLink, productLink} {
		for _, m := range re.FindAllStringSubmatch(home, -1) {
			if !slices.Contains(paths, m[1]) && len(paths) < 20 {
				paths = append(paths, m[1])
			}
		}
	}
	if len(paths) < 10 {
		t.Fatalf("home links to only %d pages:\n%.2000s", len(paths), home)
	}
	// Tags come from an app directly: the edge strips them.
	tags := map[string]bool{}
	var pages []cachedPage
	for _, path := range paths {
		resp, _ := fetch(t, c, newGet(t, tier.apps[0].url+path))
		for _, tag := range strings.Fields(resp.Header.Get("Surrogate-Key")) {
			tags[tag] = true
		}
		fetch(t, c, newGet(t, tier.edge.url+path))
		resp, body := fetch(t, c, newGet(t, tier.edge.url+path))
		if resp.StatusCode != 200 || !isHit(resp) {
			t.Fatalf("GET %s twice: %d, Cache-Status %q; want a 200 hit", path, resp.StatusCode, resp.Header.Get("Cache-Status"))
		}
		pages = append(pages, cachedPage{path, body})
	}

	for _, a := range tier.apps {
		a.kill(t)
	}

	checkStale := func(t *testing.T, hdr []string, wantStatus *regexp.Regexp) {
		t.Helper()
		for _, p := range pages {
			resp, body := fetch(t, c, newGet(t, tier.edge.url+p.path, hdr...))
			if cs := resp.Header.Get("Cache-Status"); resp.StatusCode != 200 || body != p.body || !wantStatus.MatchString(cs) {
				t.Errorf("GET %s with every app down: %d, Cache-Status %q, same body: %v; want 200, the cached body and Cache-Status matching %s",
					p.path, resp.StatusCode, cs, body == p.body, wantStatus)
			}
		}
	}
	t.Run("fresh pages are hits", func(t *testing.T) {
		checkStale(t, nil, regexp.MustCompile(`^agora; hit; ttl=\d+$`))
	})
	t.Run("a shopper's reload needs the origin", func(t *testing.T) {
		checkStale(t, []string{"Cache-Control", "no-cache"}, regexp.MustCompile(`^agora; fwd=request; detail=stale-if-error$`))
	})
	t.Run("soft purged pages", func(t *testing.T) {
		var list []string
		for tag := range tags {
			list = append(list, tag)
		}
		body, _ := json.Marshal(map[string]any{"tags": list, "soft": true})
		req, _ := http.NewRequest("POST", tier.admin+"/_agora/purge", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+tier.secret)
		req.Header.Set("Content-Type", "application/json")
		resp, out := fetch(t, c, req)
		// With the app tier down the purge cannot go through the purge log:
		// the edge applies it to itself and says so (502), or, as an edge
		// that applies admin purges locally only, answers 200.
		var res struct{ Purged int }
		if err := json.Unmarshal([]byte(out), &res); (resp.StatusCode != 200 && resp.StatusCode != 502) || err != nil || res.Purged < len(pages) {
			t.Fatalf("soft purge of %d tags: %d %s; want at least %d entries marked", len(list), resp.StatusCode, out, len(pages))
		}
		// Served at once as stale (the background refresh fails), and again
		// when a shopper's reload asks the dead origin.
		checkStale(t, nil, regexp.MustCompile(`^agora; hit; ttl=-?\d+; detail=stale-while-revalidate$`))
		checkStale(t, []string{"Cache-Control", "no-cache"}, regexp.MustCompile(`^agora; fwd=request; detail=stale-if-error$`))
	})
	t.Run("a page never cached", func(t *testing.T) {
		resp, body := fetch(t, c, newGet(t, tier.edge.url+"/search?q=never-cached"))
		if resp.StatusCode != 503 || resp.Header.Get("Cache-Status") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "temporarily unavailable") {
			t.Errorf("uncached page with every app down: %d %v\n%s", resp.StatusCode, resp.Header, body)
		}
		for _, leak := range []string{"dial tcp", "connection refused", "127.0.0.1", "goroutine", "panic", ".go:", "error"} {
			if strings.Contains(body, leak) {
				t.Errorf("the 503 page shows %q:\n%s", leak, body)
			}
		}
	})
}

// edgeShopper is a shopper (e2e_journey_test.go) with a name, an account
// and a cart of known content.
type edgeShopper struct {
	*shopper
	name, email string
	cookie      string        // their session cookie's value
	lines       map[int64]int // variant → quantity in their cart
	count       int           // units in their cart
}

// item is a product with a variant in stock.
type item struct {
	slug, name string
	variant    int64
}

// inStockItems returns n products, each with a variant in stock.
func inStockItems(t *testing.T, base string, n int) []item {
	t.Helper()
	var list struct{ Items []struct{ Slug string } }
	_, body := get(t, base+"/api/v1/products?per_page=30")
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	var out []item
	for _, it := range list.Items {
		var p struct {
			Name     string
			Variants []struct {
				ID          int64
				StockStatus string `json:"stock_status"`
			}
		}
		_, body := get(t, base+"/api/v1/products/"+it.Slug)
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		for _, v := range p.Variants {
			if v.StockStatus == "in_stock" {
				out = append(out, item{it.Slug, p.Name, v.ID})
				break
			}
		}
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("fewer than %d products in stock", n)
	return nil
}

// sessionCookie is the value of the session cookie resp sets, if any.
func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "agora_session" {
			return c.Value
		}
	}
	return ""
}

// TestEdgeE2ETwoShoppers: two shoppers browse the same cached pages through
// the edge; each sees only their own cart and greeting, the public pages
// are shared hits identical for both, and nothing of one reaches the other.
func TestEdgeE2ETwoShoppers(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 2)
	base := tier.edge.url
	items := inStockItems(t, base, 4)
	shoppers := []*edgeShopper{
		{name: "Ada Quillfeather", email: "ada@example.com", lines: map[int64]int{items[0].variant: 2, items[1].variant: 1}},
		{name: "Bram Oakenshaw", email: "bram@example.com", lines: map[int64]int{items[2].variant: 4}},
	}
	for _, sh := range shoppers {
		sh.shopper = newShopper(t, base)
		account := map[string]string{"email": sh.email, "name": sh.name, "password": "correct horse battery"}
		if code := sh.call("POST", "/api/v1/customers", account, nil, nil); code != 202 {
			t.Fatalf("register %s: %d", sh.name, code)
		}
		login := map[string]string{"email": sh.email, "password": "correct horse battery"}
		if code := sh.call("POST", "/api/v1/session", login, nil, nil); code != 200 {
			t.Fatalf("login %s: %d", sh.name, code)
		}
		u, _ := url.Parse(base)
		for _, c := range sh.c.Jar.Cookies(u) {
			if c.Name == "agora_session" {
				sh.cookie = c.Value
			}
		}
		if sh.cookie == "" {
			t.Fatalf("register %s: no session cookie", sh.name)
		}
		for v, q := range sh.lines {
			if code := sh.call("POST", "/api/v1/cart/items", map[string]any{"variant_id": v, "quantity": q}, nil, nil); code != 200 {
				t.Fatalf("%s adds variant %d × %d: %d", sh.name, v, q, code)
			}
			sh.count += q
		}
	}
	a, b := shoppers[0], shoppers[1]
	if a.cookie == b.cookie {
		t.Fatal("both shoppers got the same session")
	}

	// The public pages, warmed so that every request of the rounds is a hit.
	public := []string{"/", "/products/" + items[3].slug}
	want := map[string]string{}
	anon := &http.Client{}
	for _, path := range public {
		fetch(t, anon, newGet(t, base+path))
		resp, body := fetch(t, anon, newGet(t, base+path))
		if !isHit(resp) {
			t.Fatalf("GET %s twice: Cache-Status %q, want a hit", path, resp.Header.Get("Cache-Status"))
		}
		want[path] = body
	}

	const rounds = 200
	var wg sync.WaitGroup
	for i, sh := range shoppers {
		other := shoppers[1-i]
		wg.Go(func() {
			for r := range rounds {
				if !sh.round(t, base, public, want, other) {
					t.Errorf("%s: stopping after round %d", sh.name, r)
					return
				}
			}
		})
	}
	wg.Wait()
}

// round fetches the public pages, the cart page and the session as sh, and
// reports whether everything was as it should be. Safe to run concurrently
// for different shoppers.
func (sh *edgeShopper) round(t *testing.T, base string, public []string, want map[string]string, other *edgeShopper) bool {
	ok := true
	fail := func(format string, args ...any) {
		t.Errorf(sh.name+": "+format, args...)
		ok = false
	}
	do := func(path string) (*http.Response, string) {
		resp, err := sh.c.Get(base + path)
		if err != nil {
			fail("GET %s: %v", path, err)
			return nil, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if c := sessionCookie(resp); c != "" && c != sh.cookie {
			fail("GET %s sets a session cookie that is not mine (the other's: %v)", path, c == other.cookie)
		}
		return resp, string(body)
	}
	for _, path := range public {
		resp, body := do(path)
		if resp == nil {
			return false
		}
		if !isHit(resp) || resp.Header.Get("Set-Cookie") != "" || body != want[path] {
			fail("GET %s: Cache-Status %q, Set-Cookie %q, same body as everyone's: %v", path,
				resp.Header.Get("Cache-Status"), resp.Header.Get("Set-Cookie"), body == want[path])
		}
	}
	checkPrivate := func(path string, resp *http.Response) {
		cc := resp.Header.Get("Cache-Control")
		if resp.StatusCode != 200 || !strings.Contains(cc, "private") || !strings.Contains(cc, "no-store") || isHit(resp) {
			fail("GET %s: %d, Cache-Control %q, Cache-Status %q; want 200, private, no-store and no hit", path, resp.StatusCode, cc, resp.Header.Get("Cache-Status"))
		}
	}

	resp, page := do("/cart")
	if resp == nil {
		return false
	}
	checkPrivate("/cart", resp)
	for v, q := range sh.lines {
		if !strings.Contains(page, fmt.Sprintf(`id="qty-%d" type="number" name="quantity" value="%d"`, v, q)) {
			fail("my cart page lacks variant %d × %d", v, q)
		}
	}
	for v := range other.lines {
		if strings.Contains(page, fmt.Sprintf(`id="line-%d"`, v)) {
			fail("my cart page shows the other shopper's variant %d", v)
		}
	}
	if !strings.Contains(page, fmt.Sprintf("<dt>Items</dt><dd>%d</dd>", sh.count)) || strings.Contains(page, other.name) {
		fail("my cart page does not count %d items, or names %s", sh.count, other.name)
	}

	resp, body := do("/api/v1/session")
	if resp == nil {
		return false
	}
	checkPrivate("/api/v1/session", resp)
	var s struct {
		Customer  *struct{ Name, Email string }
		CartCount int `json:"cart_count"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Customer == nil || s.Customer.Name != sh.name || s.Customer.Email != sh.email || s.CartCount != sh.count {
		fail("session %s, want %s <%s> with %d in the cart", body, sh.name, sh.email, sh.count)
	}
	return ok
}

// TestEdgeE2EMemoryBound: filling the edge with twice its --cache-size
// of distinct pages keeps the memory it holds near the cache size, and the
// store within it. The memory is the Go runtime's own count, from the
// edge's /metrics: what it took from the kernel less what it gave back.
// That is the resident memory of a plain build, and it leaves out the
// race detector's shadow memory, so the race build the other tests run
// can be measured too.
func TestEdgeE2EMemoryBound(t *testing.T) {
	t.Parallel()
	const (
		cacheSize = 16 << 20
		pageSize  = 20 << 10
		pages     = 2 * cacheSize / pageSize // ≈ 32 MiB of pages
		workers   = 8
	)
	// Each path gets its own page: random bytes, base64-encoded, so the
	// edge's gzip and br variants are about 3/4 of the page (the bytes
	// carry 6 bits each) and are kept and counted as they would be for
	// real HTML, but cannot shrink the stored bytes enough to hide an
	// accounting error. Derived from the path so a refetch is identical.
	var originFetches atomic.Int64
	page := randomPages(pageSize)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originFetches.Add(1)
		w.Header().Set("Cache-Control", "public, s-maxage=3600")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page(r.URL.Path))
	}))
	defer origin.Close()

	e, admin := startEdge(t, "--backends", origin.URL, "--cache-size", "16MiB")
	idle, _ := goMemory(t, admin)

	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer c.CloseIdleConnections()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < pages; i = next.Add(1) - 1 {
				// Every other page twice: the client asks for gzip (the
				// Transport does), so its second request makes the stored
				// page's compressed versions, which count too.
				for range 1 + (i+1)%2 {
					resp, err := c.Get(fmt.Sprintf("%s/page/%d", e.url, i))
					if err != nil {
						t.Errorf("page %d: %v", i, err)
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || n != pageSize {
						t.Errorf("page %d: %d, %d bytes; want 200 and %d", i, resp.StatusCode, n, pageSize)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	rss, peak := goMemory(t, admin)

	resp, body := get(t, admin+"/_agora/status")
	var st struct {
		Entries      int
		Bytes        uint64
		Compressions int
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	if st.Compressions == 0 {
		t.Errorf("no page was compressed: the test must count coded versions too")
	}
	const mib = 1 << 20
	t.Logf("%d pages of %d KiB (%d MiB) through a %d MiB cache, %d origin fetches, %d compressed: store %d entries, %.1f MiB; held idle %.1f MiB, after %.1f MiB, at most %.1f MiB",
		pages, pageSize>>10, pages*pageSize/mib, cacheSize/mib, originFetches.Load(), st.Compressions, st.Entries, float64(st.Bytes)/mib,
		float64(idle)/mib, float64(rss)/mib, float64(peak)/mib)
	if st.Bytes > cacheSize || st.Entries == 0 {
		t.Errorf("store holds %d entries, %d bytes; want some, and at most %d bytes", st.Entries, st.Bytes, cacheSize)
	}
	// The allowance is the edge's fixed overhead (edgeOverhead in
	// memlimit.go, the runtime's room beyond the cache): in flight, each
	// request buffers its page and its two encodings (≈ 60 KB) and each
	// connection its buffers; the store's per-entry bookkeeping beyond what
	// it counts is ≈ 1,500 entries × a few hundred bytes; the rest is
	// garbage not yet collected and freed pages not yet returned to the
	// kernel. It does not grow with the cache size.
	const allowance = 16 * mib
	if limit := uint64(cacheSize*115/100) + idle + allowance; rss > limit {
		t.Errorf("resident memory after %d MiB of pages is %.1f MiB; want at most %.1f MiB (1.15 × %d MiB cache + %.1f MiB idle + %d MiB allowance)",
			pages*pageSize/mib, float64(rss)/mib, float64(limit)/mib, cacheSize/mib, float64(idle)/mib, allowance/mib)
	}
}

// randomPages makes HTML pages of exactly size bytes, the same for one
// path. Each is a window, chosen by the path's hash, on one random base64
// text of twice the size: cheap to serve, and each page compresses no
// better than random base64 does on its own. (Two paths may share a
// window; the edge stores them apart all the same, by URL.)
func randomPages(size int) func(path string) []byte {
	const head, tail = "<!doctype html><title>page</title><p>", "</p>\n"
	raw := make([]byte, size*3/2)
	rand.NewChaCha8([32]byte{1}).Read(raw)
	text := base64.StdEncoding.EncodeToString(raw) // 2 × size
	n := size - len(head) - len(tail)
	return func(path string) []byte {
		h := fnv.New64a()
		h.Write([]byte(path))
		off := int(h.Sum64() % uint64(len(text)-n))
		return []byte(head + text[off:off+n] + tail)
	}
}

// goMemory reads, from an edge's /metrics, the memory its Go runtime
// holds (taken from the kernel, less what it returned) and the most it
// ever took.
func goMemory(t *testing.T, admin string) (held, most uint64) {
	t.Helper()
	resp, body := get(t, admin+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s/metrics: %s", admin, resp.Status)
	}
	value := func(name string) uint64 {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s/metrics has no %s", admin, name)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", name, m[1], err)
		}
		return uint64(v)
	}
	most = value("go_memstats_sys_bytes")
	return most - value("go_memstats_heap_released_bytes"), most
}
