// Command shop drives the shopping API of a running Agora like many
// shoppers at once and reports add-to-cart latency and sustained checkout
// throughput (issue 3). It is a benchmark tool, run by bench/shopping.sh:
//
//	go run ./bench/shop --url http://127.0.0.1:8080 --workers 32 --duration 10s
//
// With --db it first sets every variant's stock high through the database,
// so a long run measures checkouts rather than sold-out refusals.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"agora/internal/store"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the store")
	workers := flag.Int("workers", 32, "concurrent shoppers")
	duration := flag.Duration("duration", 10*time.Second, "length of each phase")
	dbURL := flag.String("db", "", "database to restock before the run (optional)")
	flag.Parse()
	if err := run(*base, *workers, *duration, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

func run(base string, workers int, d time.Duration, dbURL string) error {
	if dbURL != "" {
		if err := restock(dbURL); err != nil {
			return err
		}
	}
	variants, err := variantIDs(base)
	if err != nil {
		return err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	addOne := func(w, i int) (time.Duration, bool) {
		c := newClient(tr)
		start := time.Now()
		ok := addToCart(c, base, variants[(w*31+i)%len(variants)], 1)
		return time.Since(start), ok
	}
	// One shopper alone: the latency a shopper sees on an idle store,
	// closest to server time.
	report("add-to-cart, 1 shopper", phase(1, d/2, addOne), d/2)
	report(fmt.Sprintf("add-to-cart, %d shoppers", workers), phase(workers, d, addOne), d)
	buy := phase(workers, d, func(w, i int) (time.Duration, bool) {
		c := newClient(tr)
		if !addToCart(c, base, variants[(w*31+i)%len(variants)], 1) {
			return 0, false
		}
		start := time.Now()
		ok := checkout(c, base, fmt.Sprintf("bench-%d-%d-%d", time.Now().UnixNano(), w, i))
		return time.Since(start), ok
	})
	report(fmt.Sprintf("checkout, %d shoppers", workers), buy, d)
	return nil
}

type result struct {
	ok, failed atomic.Int64
	mu         sync.Mutex // protects lat
	lat        []time.Duration
}

// phase runs fn on workers goroutines for d and collects latencies of the
// successful calls.
func phase(workers int, d time.Duration, fn func(w, i int) (time.Duration, bool)) *result {
	var r result
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				lat, ok := fn(w, i)
				if ok {
					r.ok.Add(1)
					local = append(local, lat)
				} else {
					r.failed.Add(1)
				}
			}
			r.mu.Lock()
			r.lat = append(r.lat, local...)
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	return &r
}

func report(name string, r *result, d time.Duration) {
	slices.Sort(r.lat)
	pct := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[int(float64(len(r.lat)-1)*p)]
	}
	fmt.Printf("%-26s %8.0f ok/s  p50 %-9s p99 %-9s ok %d failed %d\n", name,
		float64(r.ok.Load())/d.Seconds(), pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), r.ok.Load(), r.failed.Load())
}

func newClient(tr *http.Transport) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}

func addToCart(c *http.Client, base string, variant int64, qty int) bool {
	body, _ := json.Marshal(map[string]any{"variant_id": variant, "quantity": qty})
	resp, err := c.Post(base+"/api/v1/cart/items", "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode < 300
}

const order = `{"email":"bench@example.com","shipping_address":{"name":"Bench Shopper","line1":"Hauptstr. 1","line2":"","city":"Berlin","postal_code":"10115","country":"DE","phone":""},"shipping_method":"standard","payment_method":"manual"}`

func checkout(c *http.Client, base, key string) bool {
	req, _ := http.NewRequest("POST", base+"/api/v1/checkout", bytes.NewReader([]byte(order)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}

// variantIDs reads the variants of up to 100 products through the API.
func variantIDs(base string) ([]int64, error) {
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	if err := getJSON(base+"/api/v1/products?per_page=100", &list); err != nil {
		return nil, err
	}
	var ids []int64
	for _, it := range list.Items {
		var p struct {
			Variants []struct{ ID int64 } `json:"variants"`
		}
		if err := getJSON(base+"/api/v1/products/"+it.Slug, &p); err != nil {
			return nil, err
		}
		for _, v := range p.Variants {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no variants at %s: seed the store first", base)
	}
	return ids, nil
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func restock(dbURL string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Write.ExecContext(ctx, "UPDATE variants SET stock = 1000000")
	if err == nil {
		_, err = db.Write.ExecContext(ctx, "UPDATE products SET stock = (SELECT sum(stock) FROM variants WHERE variants.product_id = products.id)")
	}
	return err
}
