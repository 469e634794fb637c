package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingRelay is a reverse proxy on loopback in front of the app tier
// that counts the requests reaching it, by path.
type countingRelay struct {
	*httptest.Server
	mu   sync.Mutex // protects hits
	hits map[string]int
}

func newCountingRelay(t *testing.T, target string) *countingRelay {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	c := &countingRelay{hits: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.Path]++
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *countingRelay) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[path]
}

// TestShieldE2E: three PoPs behind one shield (real processes): a cold
// page costs the app tier one fetch; a price change reaches every PoP,
// which never again serves the old price once it showed the new one; the
// tags and the shield's seq never reach the public, except the tags a PoP
// with --downstream-cdn cloudflare hands its CDN on public pages only.
func TestShieldE2E(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 1)
	key := tier.ownerKey(t)
	app := tier.apps[0].url
	relay := newCountingRelay(t, app)
	shield, _ := startEdge(t, "--backends", relay.URL, "--cluster-secret", tier.secret)
	var pops []*server
	for i := range 3 {
		args := []string{"--backends", shield.url, "--shield", "--purge-origin", app, "--cluster-secret", tier.secret}
		if i == 2 {
			args = append(args, "--downstream-cdn", "cloudflare")
		}
		p, _ := startEdge(t, args...)
		pops = append(pops, p)
	}
	p := firstProduct(t, app, key)
	path := "/products/" + p.Slug
	c := &http.Client{}
	// Every PoP answers for the store's one public name, which is part of
	// the cache key at the shield.
	get := func(u string) *http.Request {
		req := newGet(t, u)
		req.Host = "shop.test"
		return req
	}
	for i, pop := range pops {
		resp, _ := fetch(t, c, get(pop.url+path))
		if resp.StatusCode != 200 {
			t.Fatalf("PoP %d: %s", i, resp.Status)
		}
		for _, f := range []string{"Surrogate-Key", "Surrogate-Control", "Agora-Shield"} {
			if v := resp.Header.Get(f); v != "" {
				t.Errorf("PoP %d sent the public %s: %q", i, f, v)
			}
		}
		if resp, _ := fetch(t, c, get(pop.url+path)); !isHit(resp) {
			t.Errorf("PoP %d did not store the page: %q", i, resp.Header.Get("Cache-Status"))
		}
	}
	if n := relay.count(path); n != 1 {
		t.Errorf("one cold page through 3 PoPs and a shield cost the app tier %d fetches, want 1", n)
	}
	cdn := pops[2]
	resp, _ := fetch(t, c, get(cdn.url+path))
	if tag, cc := resp.Header.Get("Cache-Tag"), resp.Header.Get("CDN-Cache-Control"); !strings.Contains(tag, "product-") || !strings.Contains(cc, "max-age=") {
		t.Errorf("with --downstream-cdn cloudflare a product page has Cache-Tag %q, CDN-Cache-Control %q", tag, cc)
	}
	resp, _ = fetch(t, c, newGet(t, cdn.url+"/api/v1/session"))
	if resp.Header.Get("Cache-Tag") != "" || resp.Header.Get("CDN-Cache-Control") != "" {
		t.Errorf("a private answer got the downstream CDN's fields: %v", resp.Header)
	}

	// Price changes: each must reach every PoP, and a PoP that showed a
	// price never goes back to an older one.
	variant := fmt.Sprintf("%s/api/v1/admin/variants/%d", app, p.Variants[0].ID)
	const changes = 10
	var latencies []time.Duration
	for i := range changes {
		cents := 876500 + i
		want := fmt.Sprintf(`"price":"%d.%02d"`, cents/100, cents%100)
		adminDo(t, "PATCH", variant, key, fmt.Sprintf(`{"price_cents":%d}`, cents), nil)
		changed := time.Now()
		for j, pop := range pops {
			deadline := changed.Add(60 * time.Second) // a failsafe for a broken test, inside the pages' 300 s s-maxage: each turn is a real check
			for {
				resp, body := fetch(t, c, get(pop.url+path))
				if resp.StatusCode == 200 && strings.Contains(body, want) {
					latencies = append(latencies, time.Since(changed))
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("change %d: PoP %d does not show %s after 60 s (Cache-Status %q)\nPoP log:\n%s\nshield log:\n%s",
						i, j, want, resp.Header.Get("Cache-Status"), pop.log(), shield.log())
				}
				time.Sleep(time.Millisecond) // the poll's pace: the condition is checked each turn
			}
		}
		for j, pop := range pops {
			if _, body := fetch(t, c, get(pop.url+path)); !strings.Contains(body, want) {
				t.Fatalf("change %d: PoP %d went back to an older price", i, j)
			}
		}
	}
	slices.Sort(latencies)
	t.Logf("price change to every PoP through a shield: p50 %v, max %v over %d changes x %d PoPs",
		latencies[len(latencies)/2], latencies[len(latencies)-1], changes, len(pops))
}
