package app

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/api"
	"agora/internal/catalog"
	"agora/internal/seed"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestDatabaseRestart: product pages and their JSON read under a steady
// stream of GETs
// while PostgreSQL restarts (`pg_ctl restart -m fast`, issue 10). A read
// whose connection the server ended is retried on a fresh one; what still
// fails while the server is down answers 503 with Retry-After, which the
// edge retries or covers with a stale copy — never a 500; and the app
// recovers by itself, without a restart.
func TestDatabaseRestart(t *testing.T) {
	cluster := storetest.NewCluster(t)
	db, err := store.Open(context.Background(), cluster.CreateDatabase(t, "shop"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, db, Config{})
	if _, err := seed.Run(context.Background(), catalog.New(db), ts.media, seed.Options{Products: 20, Categories: 8, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	entries, err := catalog.New(db).SitemapProducts(context.Background(), 0, 100)
	if err != nil || len(entries) == 0 {
		t.Fatalf("seeded products: %d, %v", len(entries), err)
	}

	// Shoppers: each GETs product pages one after another and records
	// what it got, until told to stop.
	var (
		mu       sync.Mutex // protects statuses and bad
		statuses = map[int]int{}
		bad      []string // answers a shopper must never see
		done     = make(chan struct{})
		wg       sync.WaitGroup
	)
	client := ts.http.Client()
	for i := range 4 {
		wg.Go(func() {
			for n := i; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				// Every other request is the JSON API's view of the product.
				path, errorType := "/products/", "text/html" // a friendly page
				if n%2 == 1 {
					path, errorType = "/api/v1/products/", api.ContentType // the API's error body
				}
				res, err := client.Get(ts.http.URL + path + entries[n%len(entries)].Slug)
				if err != nil {
					mu.Lock()
					bad = append(bad, "transport: "+err.Error())
					mu.Unlock()
					continue
				}
				res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				switch {
				case res.StatusCode == http.StatusOK:
				case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" &&
					strings.HasPrefix(res.Header.Get("Content-Type"), errorType):
				default:
					bad = append(bad, fmt.Sprintf("%s: %d (Retry-After %q, %s)", path, res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Content-Type")))
				}
				mu.Unlock()
			}
		})
	}
	ok := func() int {
		mu.Lock()
		defer mu.Unlock()
		return statuses[http.StatusOK]
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-t.Context().Done():
				t.Fatalf("gave up waiting for %s", what)
			default:
			}
			time.Sleep(5 * time.Millisecond) // a poll on the counts, not a stand-in for synchronisation
		}
	}
	// Every shopper's connection is warm before the restart.
	waitFor("200 answers before the restart", func() bool { return ok() >= 100 })
	cluster.Restart(t)
	before := ok()
	waitFor("200 answers after the restart", func() bool { return ok() >= before+100 })
	close(done)
	wg.Wait()

	if res := ts.get(t, "/products/"+entries[0].Slug); res.status != http.StatusOK {
		t.Errorf("a product page after the restart: %d, want 200 (the app recovers by itself)", res.status)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("answers by status: %v", statuses)
	if len(bad) > 0 {
		sort.Strings(bad)
		t.Errorf("%d answers were neither 200 nor 503 with Retry-After: %s", len(bad), summarize(bad))
	}
	if t.Failed() {
		t.Logf("app log (tail): %s", tail(ts.logs.String(), 3000))
	}
}

// summarize counts equal strings: "500 (Retry-After \"\") ×12, …".
func summarize(xs []string) string {
	var b strings.Builder
	for i := 0; i < len(xs); {
		j := i
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		fmt.Fprintf(&b, "%s ×%d; ", xs[i], j-i)
		i = j
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
