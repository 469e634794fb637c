package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func run(t *testing.T, cfg Config, cat Catalog) *Results {
	t.Helper()
	r, err := New(cfg, cat)
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background())
}

// TestRunRecordsEveryPlannedRequest: against the fake store, a run sends
// every request its schedule plans, each recorded once, and the orders it
// reports are exactly the orders the store placed.
func TestRunRecordsEveryPlannedRequest(t *testing.T) {
	t.Parallel()
	store := newFakeStore()
	target := store.start(t)
	cat, err := Discover(context.Background(), http.DefaultClient, target)
	if err != nil {
		t.Fatal(err)
	}
	// every category of the tree, every product, the variants of products
	// in stock that are not sold out, words of four letters or more
	if fmt.Sprint(cat) != fmt.Sprint(testCatalog) {
		t.Errorf("discovered %+v, want %+v", cat, testCatalog)
	}
	cfg := Config{Target: target, Rate: 100, Duration: 600 * time.Millisecond, Seed: 7, RunID: "t1",
		Mix: mustMix(t, "home=1,category=1,product=2,search=1,cart=3,checkout=2")}
	res := run(t, cfg, cat)
	if res.Planned != 60 {
		t.Fatalf("planned %d requests, want rate × duration = 60", res.Planned)
	}
	seen := map[int]bool{}
	kinds := map[Kind]int{}
	orders := map[string]string{}
	for _, rec := range res.Records {
		if rec.Attempt != 1 || seen[rec.Seq] {
			t.Errorf("record %+v: want one attempt per request", rec)
		}
		seen[rec.Seq] = true
		kinds[rec.Kind]++
		if rec.Outcome != OK || rec.Sent < 0 || rec.Status == 0 {
			t.Errorf("record %+v: want sent and ok", rec)
		}
		if rec.Kind == Checkout {
			if !strings.HasPrefix(rec.IdempotencyKey, "t1-") || rec.OrderNumber == "" {
				t.Errorf("checkout %+v: want its key and order number", rec)
			}
			orders[rec.IdempotencyKey] = rec.OrderNumber
		}
	}
	if len(seen) != res.Planned {
		t.Errorf("%d requests recorded, want %d", len(seen), res.Planned)
	}
	for _, k := range Kinds {
		if kinds[k] == 0 {
			t.Errorf("no %s request in 60", k)
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if fmt.Sprint(orders) != fmt.Sprint(store.orders) {
		t.Errorf("orders recorded %v, placed %v", orders, store.orders)
	}
	if sum := Summarize(res); sum.Failed != 0 || sum.Orders != len(store.orders) || sum.Sent != 60 {
		t.Errorf("summary %+v", sum)
	}
}

// TestFailureClassification: each way a server fails is recorded with its
// cause, for every request of the run.
func TestFailureClassification(t *testing.T) {
	t.Parallel()
	type want struct {
		outcome Outcome
		cause   Cause
		status  int
	}
	status := func(code int, body string) func(t *testing.T) *url.URL {
		return func(t *testing.T) *url.URL {
			return handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(code)
				fmt.Fprint(w, body)
			})
		}
	}
	for _, c := range []struct {
		name    string
		server  func(t *testing.T) *url.URL
		mix     string
		timeout time.Duration
		want    map[Kind]want
	}{
		{name: "nothing listens", server: refusedAddr, mix: "home=1",
			want: map[Kind]want{Home: {Failed, ConnectRefused, 0}}},
		{name: "connections reset", server: resetServer, mix: "product=1,cart=1",
			want: map[Kind]want{Product: {Failed, Reset, 0}, Cart: {Failed, Reset, 0}}},
		{name: "503", server: status(503, "busy"), mix: "search=1",
			want: map[Kind]want{Search: {Failed, Status5xx, 503}}},
		{name: "404 page", server: status(404, "not here"), mix: "category=1",
			want: map[Kind]want{Category: {Failed, Status4xx, 404}}},
		{name: "redirect", server: status(302, ""), mix: "home=1",
			want: map[Kind]want{Home: {Failed, BadStatus, 302}}},
		{name: "hangs past the timeout", timeout: 200 * time.Millisecond, mix: "home=1",
			server: func(t *testing.T) *url.URL {
				return handlerServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			},
			want: map[Kind]want{Home: {Failed, Timeout, 0}}},
		{name: "headers then a body that never ends", timeout: 200 * time.Millisecond, mix: "product=1",
			server: func(t *testing.T) *url.URL {
				return handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
					w.Write([]byte("<html>"))
					w.(http.Flusher).Flush()
					<-r.Context().Done()
				})
			},
			want: map[Kind]want{Product: {Failed, Timeout, 200}}},
		{name: "out of stock is a refusal, and its checkout is skipped", mix: "checkout=1",
			server: status(409, `{"error":{"code":"out_of_stock","message":"Sold out."}}`),
			want:   map[Kind]want{Cart: {Refused, OutOfStock, 409}, Checkout: {Skipped, NoCart, 0}}},
		{name: "a failed cart add skips its checkout", mix: "checkout=1", server: status(500, `{"error":{"code":"internal"}}`),
			want: map[Kind]want{Cart: {Failed, Status5xx, 500}, Checkout: {Skipped, NoCart, 0}}},
		{name: "a checkout without an order number", mix: "checkout=1",
			server: func(t *testing.T) *url.URL {
				return handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/v1/checkout" {
						w.WriteHeader(201)
					}
					fmt.Fprint(w, `{}`)
				})
			},
			want: map[Kind]want{Cart: {OK, "", 200}, Checkout: {Failed, BadResponse, 201}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := run(t, Config{Target: c.server(t), Rate: 20, Duration: 200 * time.Millisecond, Timeout: c.timeout,
				Mix: mustMix(t, c.mix), Seed: 1}, testCatalog)
			if len(res.Records) < res.Planned || res.Planned != 4 {
				t.Fatalf("%d records of %d planned, want 4", len(res.Records), res.Planned)
			}
			for _, rec := range res.Records {
				w, ok := c.want[rec.Kind]
				if !ok || rec.Outcome != w.outcome || rec.Cause != w.cause || rec.Status != w.status {
					t.Errorf("%s %s: %s %q %d (%s), want %v", rec.Kind, rec.Path, rec.Outcome, rec.Cause, rec.Status, rec.Error, w)
				}
			}
		})
	}
}

// TestCheckoutRetriedWithItsKey: a store that places the order and then
// dies before answering: the checkout's second attempt, with the same key,
// gets the same order, and both attempts are recorded.
func TestCheckoutRetriedWithItsKey(t *testing.T) {
	t.Parallel()
	store := newFakeStore()
	store.resetFirstCheckout = true
	res := run(t, Config{Target: store.start(t), Rate: 20, Duration: 200 * time.Millisecond, CheckoutRetries: 2,
		Mix: mustMix(t, "checkout=1"), Seed: 1, RunID: "r"}, testCatalog)
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.orders) != 2 {
		t.Fatalf("the store placed %v, want 2 orders", store.orders)
	}
	var checkouts []Record
	for _, rec := range res.Records {
		if rec.Kind == Checkout {
			checkouts = append(checkouts, rec)
		}
	}
	if len(checkouts) != 4 {
		t.Fatalf("checkout records %+v, want 2 attempts of 2 checkouts", checkouts)
	}
	for i := 0; i < 4; i += 2 {
		first, again := checkouts[i], checkouts[i+1]
		if first.Attempt != 1 || first.Outcome != Failed || first.Cause != Reset || first.OrderNumber != "" {
			t.Errorf("first attempt %+v: want a reset", first)
		}
		if again.Attempt != 2 || again.Outcome != OK || again.Status != 200 || again.Seq != first.Seq ||
			again.IdempotencyKey != first.IdempotencyKey || again.OrderNumber != store.orders[first.IdempotencyKey] {
			t.Errorf("second attempt %+v: want 200 with the order placed for key %s (%v)", again, first.IdempotencyKey, store.orders)
		}
		if n := store.attempts[first.IdempotencyKey]; n != 2 {
			t.Errorf("key %s sent %d times, want 2 (no hidden replays)", first.IdempotencyKey, n)
		}
	}
}

// TestSaturatedRequestsAreRecorded: with one worker held by a hung request,
// the schedule goes on and the requests it cannot send are recorded as
// failed by the client, never silently delayed.
func TestSaturatedRequestsAreRecorded(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	target := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	r, err := New(Config{Target: target, Rate: 20, Duration: 200 * time.Millisecond, MaxWorkers: 1,
		Mix: mustMix(t, "home=1"), Seed: 1}, testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // protects saturated
	saturated := 0
	r.onRecord = func(rec Record) {
		mu.Lock()
		defer mu.Unlock()
		if rec.Cause == Saturated {
			if saturated++; saturated == r.Planned()-1 {
				close(release) // every later request was refused a worker: let the first one finish
			}
		}
	}
	res := r.Run(context.Background())
	sum := Summarize(res)
	if sum.Planned != 4 || sum.Sent != 1 || sum.OK != 1 || sum.Failures[Saturated] != 3 {
		t.Errorf("summary %+v, want 1 sent and 3 saturated of 4", sum)
	}
}

// TestCancelStopsTheSchedule: cancelling a run stops planning and ends the
// requests in flight as canceled.
func TestCancelStopsTheSchedule(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	target := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the first request interrupts the run
		<-r.Context().Done()
	})
	r, err := New(Config{Target: target, Rate: 10, Duration: time.Hour, Mix: mustMix(t, "home=1")}, testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	res := r.Run(ctx)
	if len(res.Records) != 1 || res.Records[0].Cause != Canceled {
		t.Errorf("records %+v, want the one request, canceled", res.Records)
	}
}

func TestNewRefusesWhatCannotRun(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("http://127.0.0.1:1")
	ok := Config{Target: u, Rate: 1, Duration: time.Second, Mix: mustMix(t, DefaultMix)}
	for _, c := range []struct {
		name string
		edit func(*Config, *Catalog)
		want string
	}{
		{"no scheme", func(c *Config, _ *Catalog) { c.Target = &url.URL{Host: "x"} }, "http(s) URL"},
		{"rate 0", func(c *Config, _ *Catalog) { c.Rate = 0 }, "rate"},
		{"rate too high", func(c *Config, _ *Catalog) { c.Rate = MaxRate + 1 }, "rate"},
		{"no duration", func(c *Config, _ *Catalog) { c.Duration = 0 }, "duration"},
		{"negative workers", func(c *Config, _ *Catalog) { c.MaxWorkers = -1 }, "negative"},
		{"no variants for carts", func(_ *Config, cat *Catalog) { cat.Variants = nil }, "variants in stock"},
		{"no categories", func(_ *Config, cat *Catalog) { cat.Categories = nil }, "no categories"},
		{"no products", func(_ *Config, cat *Catalog) { cat.Products = nil }, "no products"},
	} {
		cfg, cat := ok, testCatalog
		c.edit(&cfg, &cat)
		if _, err := New(cfg, cat); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", c.name, err, c.want)
		}
	}
	r, err := New(ok, testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Config(); got.Timeout != DefaultTimeout || got.MaxWorkers != 100 || !strings.HasPrefix(got.RunID, "lt") {
		t.Errorf("defaults %+v", got)
	}
}

// TestDiscoverAnEmptyStore: a store without products is an error that says
// what to do, not a run of 404s.
func TestDiscoverAnEmptyStore(t *testing.T) {
	t.Parallel()
	target := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/categories" {
			fmt.Fprint(w, `[]`)
			return
		}
		fmt.Fprint(w, `{"items":[],"total":0,"page":1,"pages":0}`)
	})
	if _, err := Discover(context.Background(), http.DefaultClient, target); err == nil || !strings.Contains(err.Error(), "agora seed") {
		t.Errorf("discovering an empty store: %v", err)
	}
	if _, err := Discover(context.Background(), http.DefaultClient, refusedAddr(t)); err == nil || !strings.Contains(err.Error(), "discovering the catalog") {
		t.Errorf("discovering nothing: %v", err)
	}
}

// TestCheckoutRetryWaits: a checkout answered 503 is sent again only
// after the Retry-After the store asked for, and one that got no answer
// after a short backoff, as a careful client does: retrying at once
// during a database restart only spends the attempts.
func TestCheckoutRetryWaits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		store func(*fakeStore)
		want  time.Duration
	}{
		{"503 with Retry-After", func(f *fakeStore) { f.unavailableFirst = true }, 3 * time.Second},
		{"reset, no answer", func(f *fakeStore) { f.resetFirstCheckout = true }, minBackoff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newFakeStore()
			tc.store(store)
			r, err := New(Config{Target: store.start(t), Rate: 20, Duration: 200 * time.Millisecond, CheckoutRetries: 2,
				Mix: mustMix(t, "checkout=1"), Seed: 1, RunID: "w"}, testCatalog)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var waits []time.Duration
			r.pause = func(ctx context.Context, d time.Duration) {
				mu.Lock()
				waits = append(waits, d)
				mu.Unlock()
			}
			res := r.Run(context.Background())
			placed := 0
			for _, rec := range res.Records {
				if rec.Kind == Checkout && rec.Outcome == OK {
					placed++
				}
			}
			if placed == 0 || len(waits) != placed {
				t.Fatalf("%d checkouts placed after %d waits, want one wait each", placed, len(waits))
			}
			for _, w := range waits {
				if w != tc.want {
					t.Errorf("waited %v before the retry, want %v", w, tc.want)
				}
			}
		})
	}
}
