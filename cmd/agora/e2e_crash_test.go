package main_test

// A checkout storm against a real `agora app`, killed with SIGKILL in the
// middle: afterwards every order is whole and no unit of stock is lost or
// invented (issue 3, "Correctness under concurrency").

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestKillDuringCheckoutStormLosesNothing(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dbURL := storetest.URL(t, d)
			mediaDir := t.TempDir()
			if code, out, errOut := run(t, "seed", "--db", dbURL, "--media", mediaDir, "--products", "12", "--categories", "4", "--quiet"); code != 0 {
				t.Fatalf("seed: %s %s", out, errOut)
			}
			db, err := store.Open(context.Background(), dbURL, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Known stock: 40 units of each variant, so the storm sells out
			// some and hits the conditional update's refusals too.
			if _, err := db.Write.Exec("UPDATE variants SET stock = 40"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Write.Exec("UPDATE products SET stock = (SELECT sum(stock) FROM variants WHERE variants.product_id = products.id)"); err != nil {
				t.Fatal(err)
			}
			initial := stockByVariant(t, db)
			var variants []int64
			for id := range initial {
				variants = append(variants, id)
			}

			s := start(t, "app", "--db", dbURL, "--media", mediaDir, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--access-log=false")
			var placed atomic.Int64
			killed := make(chan struct{})
			enough := make(chan struct{}) // closed when 60 orders went through
			var enoughOnce sync.Once
			var wg sync.WaitGroup
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-killed:
							return
						default:
						}
						v := variants[(w*7+i)%len(variants)]
						if shopOnce(s.url, v, 1+i%3, fmt.Sprintf("storm-%d-%d", w, i)) && placed.Add(1) >= 60 {
							enoughOnce.Do(func() { close(enough) })
						}
					}
				}()
			}
			// Kill once a good number of orders went through: mid-storm,
			// with checkouts in flight.
			select {
			case <-enough:
			case <-time.After(2 * time.Minute): // a failsafe, not a synchronization
				close(killed)
				wg.Wait()
				t.Fatalf("the storm placed only %d orders in 2 minutes:\n%s", placed.Load(), s.log())
			case err := <-s.done:
				close(killed)
				wg.Wait()
				t.Fatalf("app died on its own: %v\n%s", err, s.log())
			}
			if err := s.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-s.done
			close(killed)
			wg.Wait()

			checkOrdersWhole(t, db)
			current := stockByVariant(t, db)
			sold := soldByVariant(t, db)
			for id, init := range initial {
				if current[id] < 0 || init != current[id]+sold[id] {
					t.Errorf("variant %d: initial %d != current %d + sold %d", id, init, current[id], sold[id])
				}
			}
			t.Logf("%d orders confirmed to clients before the kill", placed.Load())
		})
	}
}

// shopOnce adds a line to a fresh cart and checks out; it reports whether
// the client saw 201 Created.
func shopOnce(base string, variant int64, qty int, key string) bool {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]any{"variant_id": variant, "quantity": qty})
	resp, err := c.Post(base+"/api/v1/cart/items", "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return false
	}
	order := `{"email":"storm@example.com","shipping_address":{"name":"Storm Tester","line1":"Hauptstr. 1","line2":"","city":"Berlin","postal_code":"10115","country":"DE","phone":""},"shipping_method":"standard","payment_method":"manual"}`
	req, _ := http.NewRequest("POST", base+"/api/v1/checkout", bytes.NewReader([]byte(order)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err = c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}

func stockByVariant(t *testing.T, db *store.DB) map[int64]int {
	t.Helper()
	return intsByID(t, db, "SELECT id, stock FROM variants")
}

func soldByVariant(t *testing.T, db *store.DB) map[int64]int {
	t.Helper()
	return intsByID(t, db, `SELECT l.variant_id, sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.restocked = FALSE GROUP BY l.variant_id`)
}

func intsByID(t *testing.T, db *store.DB, query string) map[int64]int {
	t.Helper()
	rows, err := db.Read.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

// checkOrdersWhole: every order has lines, an address, and totals that add up.
func checkOrdersWhole(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.Read.Query(`SELECT o.number, o.subtotal_cents, o.discount_cents, o.shipping_cents, o.tax_cents, o.total_cents, o.prices_include_tax,
		(SELECT count(*) FROM order_lines l WHERE l.order_id = o.id),
		(SELECT coalesce(sum(l.line_total_cents), 0) FROM order_lines l WHERE l.order_id = o.id),
		(SELECT count(*) FROM order_addresses a WHERE a.order_id = o.id)
		FROM orders o`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var number string
		var sub, disc, ship, tax, total, lineSum int64
		var incl bool
		var lines, addrs int
		if err := rows.Scan(&number, &sub, &disc, &ship, &tax, &total, &incl, &lines, &lineSum, &addrs); err != nil {
			t.Fatal(err)
		}
		n++
		want := sub - disc + ship
		if !incl {
			want += tax
		}
		if lines == 0 || addrs == 0 || lineSum != sub || total != want {
			t.Errorf("order %s is not whole: %d lines (sum %d, subtotal %d), %d addresses, total %d want %d", number, lines, lineSum, sub, addrs, total, want)
		}
	}
	if n == 0 {
		t.Error("no orders at all")
	}
}
