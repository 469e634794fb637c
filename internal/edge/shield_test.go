package edge

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"agora/internal/edge/purgelog"
	"agora/internal/edge/ratelimit"
)

// tier is a shield edge served on loopback and PoPs that use it as their
// backend, in front of one app origin.
type tier struct {
	app    *dataOrigin
	shield *Edge
	pops   []*Edge
	leaked atomic.Bool // the app saw the shield's secret
}

func newTier(t *testing.T, pops int, cc string) *tier {
	t.Helper()
	tr := &tier{}
	tr.app = newDataOrigin(t, cc, nil)
	inner := tr.app.Config.Handler
	tr.app.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(shieldAuthField) != "" {
			tr.leaked.Store(true)
		}
		inner.ServeHTTP(w, r)
	})
	tr.shield, _ = newEdge(t, tr.app.URL)
	tr.shield.ClusterSecret = testSecret
	srv := httptest.NewServer(tr.shield)
	t.Cleanup(srv.Close)
	for range pops {
		p, _ := newEdge(t, srv.URL)
		p.ShieldSecret = testSecret
		tr.pops = append(tr.pops, p)
	}
	return tr
}

// TestShieldOneAppFetch: three PoPs behind one shield cost the app tier
// one fetch for a cold page, and each PoP can still purge it by tag.
func TestShieldOneAppFetch(t *testing.T) {
	tr := newTier(t, 3, "public, s-maxage=300")
	for i, p := range tr.pops {
		resp := do(p, "GET", "http://shop.test/p", nil)
		if v := version(t, resp); v != "v1" {
			t.Fatalf("PoP %d served %q", i, v)
		}
		for _, f := range []string{"Surrogate-Key", "Surrogate-Control", shieldField} {
			if resp.Header.Get(f) != "" {
				t.Errorf("PoP %d: %s reached the public", i, f)
			}
		}
		if !isHit(do(p, "GET", "http://shop.test/p", nil)) {
			t.Errorf("PoP %d did not store the shield's answer", i)
		}
	}
	if n := tr.app.hits.Load(); n != 1 {
		t.Errorf("the app tier served %d fetches for one cold page behind a shield, want 1", n)
	}
	if tr.leaked.Load() {
		t.Error("the shield passed the cluster secret on to the app")
	}
	// The tags crossed the shield: a PoP purges its copy by tag.
	tr.pops[0].ApplyPurge(purgelog.Entry{Seq: 1, Tags: []string{"product-42"}})
	if isHit(do(tr.pops[0], "GET", "http://shop.test/p", nil)) {
		t.Error("a purge by tag did not reach a page a PoP got from its shield")
	}
}

// TestShieldPurgeTwice: a PoP that applied a purge its shield has not yet
// applied serves the shield's answer but does not store it; once the
// shield caught up, the new page is stored. A purge of other tags does
// not stop storing.
func TestShieldPurgeTwice(t *testing.T) {
	tr := newTier(t, 1, "public, s-maxage=300")
	pop := tr.pops[0]
	do(pop, "GET", "http://shop.test/p", nil)
	tr.app.set("v2")
	pop.ApplyPurge(purgelog.Entry{Seq: 1, Tags: []string{"product-42"}}) // the shield lags
	resp := do(pop, "GET", "http://shop.test/p", nil)
	if cs := resp.Header.Get("Cache-Status"); !strings.Contains(cs, "detail=shield-behind") {
		t.Errorf("Cache-Status %q: the old page from a lagging shield was not refused", cs)
	}
	if resp := do(pop, "GET", "http://shop.test/p", nil); isHit(resp) {
		t.Fatalf("the PoP re-cached %q from a shield that had not applied the purge", version(t, resp))
	}
	tr.shield.ApplyPurge(purgelog.Entry{Seq: 1, Tags: []string{"product-42"}})
	if v := version(t, do(pop, "GET", "http://shop.test/p", nil)); v != "v2" {
		t.Fatalf("after the shield applied the purge the PoP served %q", v)
	}
	resp = do(pop, "GET", "http://shop.test/p", nil)
	if !isHit(resp) || version(t, resp) != "v2" {
		t.Fatalf("the new page was not stored: %s", resp.Header.Get("Cache-Status"))
	}
	// A purge of another product the shield has not applied yet.
	pop.ApplyPurge(purgelog.Entry{Seq: 2, Tags: []string{"product-7"}})
	do(pop, "GET", "http://shop.test/q", nil)
	if !isHit(do(pop, "GET", "http://shop.test/q", nil)) {
		t.Error("a purge of unrelated tags the shield lags on stopped the PoP storing")
	}
}

// TestShieldSoftPurge: after a soft purge applied at both tiers, the
// shield's stale answer is not stored as fresh by the PoP; the refreshed
// page is, once the shield has it.
func TestShieldSoftPurge(t *testing.T) {
	tr := newTier(t, 1, "public, s-maxage=300, stale-while-revalidate=60")
	pop := tr.pops[0]
	do(pop, "GET", "http://shop.test/p", nil)
	tr.app.set("v2")
	soft := purgelog.Entry{Seq: 1, Tags: []string{"product-42"}, Soft: true}
	tr.shield.ApplyPurge(soft)
	pop.ApplyPurge(soft)
	// The shield holds its refresh until the test lets it go.
	read, release := tr.app.hold()
	t.Cleanup(release)
	resp := do(pop, "GET", "http://shop.test/p", nil)
	if v := version(t, resp); v != "v1" {
		t.Fatalf("a soft purge should serve the old page at once, got %q", v)
	}
	pop.Wait() // the PoP's refresh got the shield's stale page
	if v := <-read; v != "v2" {
		t.Fatalf("the shield's refresh read %q", v)
	}
	resp = do(pop, "GET", "http://shop.test/p", nil)
	if cs := resp.Header.Get("Cache-Status"); !strings.Contains(cs, "stale-while-revalidate") {
		t.Fatalf("the PoP stored the shield's stale page as fresh: Cache-Status %q, page %q", cs, version(t, resp))
	}
	release()
	tr.shield.Wait()
	pop.Wait()
	do(pop, "GET", "http://shop.test/p", nil) // refreshes from the refreshed shield
	pop.Wait()
	resp = do(pop, "GET", "http://shop.test/p", nil)
	if v := version(t, resp); !isHit(resp) || v != "v2" || strings.Contains(resp.Header.Get("Cache-Status"), "stale") {
		t.Fatalf("after the shield refreshed, the PoP serves %q (%s)", v, resp.Header.Get("Cache-Status"))
	}
}

// TestShieldAuth: the shield's tags and seq go only to a PoP holding the
// cluster secret.
func TestShieldAuth(t *testing.T) {
	tr := newTier(t, 0, "public, s-maxage=300")
	for _, tok := range []string{"", "wrong"} {
		h := http.Header{}
		if tok != "" {
			h.Set(shieldAuthField, tok)
		}
		resp := do(tr.shield, "GET", "http://shop.test/p", h)
		if resp.Header.Get("Surrogate-Key") != "" || resp.Header.Get(shieldField) != "" {
			t.Errorf("token %q: the shield gave tags or its seq to the public", tok)
		}
	}
	resp := do(tr.shield, "GET", "http://shop.test/p", http.Header{shieldAuthField: {testSecret}})
	if resp.Header.Get("Surrogate-Key") != "product-42 home" || resp.Header.Get(shieldField) != "seq=0" {
		t.Errorf("a PoP got Surrogate-Key %q, %s %q", resp.Header.Get("Surrogate-Key"), shieldField, resp.Header.Get(shieldField))
	}
}

// TestShieldTrustsItsPoPs: a shield treats a PoP holding the cluster
// secret as a trusted proxy without a --trusted-proxies entry. Its
// shoppers are not rate limited as one client (the PoP limited them), the
// app finds the shopper's address and scheme, not the PoP's, and the shield
// keeps https pages apart. Anyone else's forwarding fields stay ignored.
func TestShieldTrustsItsPoPs(t *testing.T) {
	t.Parallel()
	var seen atomic.Pointer[http.Header]
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		seen.Store(&h)
		w.Header().Set("Cache-Control", "public, s-maxage=300")
		w.Write([]byte("page " + r.URL.Path))
	})
	shield, _ := newEdge(t, o.URL)
	shield.ClusterSecret = testSecret
	shield.RateLimit = &ratelimit.Limiter{Rules: map[ratelimit.Class]ratelimit.Rule{ratelimit.Pages: {Rate: 0.001, Burst: 1}}}
	fromPoP := http.Header{
		shieldAuthField:     {testSecret},
		"X-Forwarded-For":   {"203.0.113.7"},
		"X-Forwarded-Proto": {"https"},
	}
	for i := range 3 { // three misses, as three shoppers' first pages would be
		resp := do(shield, "GET", fmt.Sprintf("http://shop.test/p/%d", i), fromPoP)
		if resp.StatusCode != 200 {
			t.Fatalf("miss %d from a PoP: %d; the shield rate limited the PoP as one client", i, resp.StatusCode)
		}
		h := *seen.Load()
		if got := h.Get("X-Forwarded-For"); got != "203.0.113.7" {
			t.Errorf("the app got X-Forwarded-For %q, want the shopper's 203.0.113.7 alone", got)
		}
		if got := h.Get("X-Forwarded-Proto"); got != "https" {
			t.Errorf("the app got X-Forwarded-Proto %q behind a PoP that took https", got)
		}
	}
	// The https page a PoP fetched is not served to a plain-http request.
	if resp := do(shield, "GET", "http://shop.test/p/0", nil); isHit(resp) {
		t.Error("the shield served the page fetched for https to a plain-http request")
	}

	// A wrong secret is the public: its claims are dropped, and it is
	// limited by its own address.
	guess := http.Header{shieldAuthField: {"wrong"}, "X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}
	codes := []int{}
	for i := range 3 {
		codes = append(codes, do(shield, "GET", fmt.Sprintf("http://shop.test/q/%d", i), guess).StatusCode)
	}
	if !slices.Contains(codes, http.StatusTooManyRequests) {
		t.Errorf("requests with a wrong secret were not rate limited: %v", codes)
	}
	h := *seen.Load()
	if got := h.Get("X-Forwarded-For"); got != "192.0.2.1" {
		t.Errorf("with a wrong secret the app got X-Forwarded-For %q, want the peer's 192.0.2.1", got)
	}
	if got := h.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("with a wrong secret the app got X-Forwarded-Proto %q", got)
	}
}
