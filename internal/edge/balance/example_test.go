package balance_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"agora/internal/edge/balance"
)

// The edge's loop: pick, acquire, send, classify, release; a retry goes to
// another backend while the budget allows.
func Example() {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	a, _ := url.Parse(up.URL)
	b, _ := url.Parse(dead)

	pool := balance.New(balance.Config{})
	defer pool.Close()
	pool.Set([]*url.URL{a, b})
	var budget balance.RetryBudget
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()

	done := budget.Start()
	defer done()
	var tried []*balance.Backend
	for {
		c, err := pool.Pick("/", tried...)
		if err != nil {
			fmt.Println("503:", err)
			return
		}
		if err := c.Backend.Acquire(context.Background()); err != nil {
			fmt.Println("503:", err)
			return
		}
		req, _ := http.NewRequest(http.MethodGet, c.Backend.URL.String()+"/", nil)
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		o := balance.Classify(resp, err)
		c.Backend.Release(balance.Result{Outcome: o, Latency: time.Since(start), Retry: len(tried) > 0})
		if o == balance.ConnectFailure {
			if retried, ok := budget.Retry(); ok {
				defer retried()
				tried = append(tried, c.Backend)
				continue
			}
		}
		if err != nil {
			fmt.Println("502:", o)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
		return
	}
	// Output: 200
}
