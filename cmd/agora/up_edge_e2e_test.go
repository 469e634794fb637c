package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUpServesFromTheEdgeAndPurgesByItself: `up` answers a product page's
// second request from its cache, and a price change through the admin API
// reaches the cached pages by the purge log alone.
func TestUpServesFromTheEdgeAndPurgesByItself(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	// A small catalog first: --demo then skips seeding 800 products, which
	// the race-built binary takes most of a minute for; it still makes the
	// demo owner this test uses.
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "30", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	s := start(t, "up", "--demo", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--drain-delay", "0s")
	// --demo made the first owner, owner@example.com.
	code, keyOut, errOut := run(t, "apikey", "create", "--db", db, "--email", "owner@example.com", "--name", "edge test")
	if code != 0 {
		t.Fatalf("apikey create: %d %s", code, errOut)
	}
	key := strings.TrimSpace(keyOut)

	p := firstProduct(t, s.url, key)

	for _, path := range []string{"/products/" + p.Slug, "/api/v1/products/" + p.Slug} {
		get(t, s.url+path)
		if resp, _ := get(t, s.url+path); !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			t.Errorf("second GET %s: Cache-Status %q, want a hit", path, resp.Header.Get("Cache-Status"))
		}
	}

	const newPrice = 1 // cent: now the product's lowest price
	adminDo(t, "PATCH", fmt.Sprintf("%s/api/v1/admin/variants/%d", s.url, p.Variants[0].ID), key, fmt.Sprintf(`{"price_cents":%d}`, newPrice), nil)
	deadline := time.Now().Add(60 * time.Second) // a failsafe for a broken test, inside the pages' 300 s s-maxage: each turn is a real check
	for {
		resp, body := get(t, s.url+"/api/v1/products/"+p.Slug)
		var prod struct {
			PriceCents int64 `json:"price_cents"`
		}
		if err := json.Unmarshal([]byte(body), &prod); err != nil {
			t.Fatalf("product JSON: %v: %s", err, body)
		}
		if prod.PriceCents == newPrice {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edge still shows price %d after 60 s (Cache-Status %q):\n%s", prod.PriceCents, resp.Header.Get("Cache-Status"), s.log())
		}
	}
	s.stop(t)
}

// adminDo calls the admin API with an API key and decodes the answer into out.
func adminDo(t *testing.T, method, url, key, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}
