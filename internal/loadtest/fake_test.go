package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// fakeStore mimics the few endpoints of Agora's API and pages the engine
// uses. It is a fake of our own API, acceptable here because these are unit
// tests of the engine (scheduling, recording, classification); the
// end-to-end test in cmd/agora runs the same engine against a real
// `agora app`.
type fakeStore struct {
	mu       sync.Mutex        // protects the fields below
	carts    map[string]int    // session cookie → lines
	orders   map[string]string // idempotency key → order number
	attempts map[string]int    // idempotency key → checkout requests seen
	sessions int
	// resetFirstCheckout places the order, then resets the connection
	// instead of answering: a crash after commit.
	resetFirstCheckout bool
	// unavailableFirst answers each key's first checkout 503 with
	// Retry-After: 3, placing nothing: a database restarting.
	unavailableFirst bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{carts: map[string]int{}, orders: map[string]string{}, attempts: map[string]int{}}
}

func (f *fakeStore) start(t *testing.T) *url.URL {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/categories", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":1,"slug":"tea","name":"Tea","children":[{"id":2,"slug":"green-tea","name":"Green","children":[]}]}]`)
	})
	mux.HandleFunc("GET /api/v1/products", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items":[{"id":1,"slug":"sencha","name":"Sencha Green Tea","in_stock":true},`+
			`{"id":2,"slug":"gone","name":"Gone Oolong","in_stock":false}],"total":2,"page":1,"per_page":100,"pages":1}`)
	})
	mux.HandleFunc("GET /api/v1/products/{slug}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"slug":"sencha","variants":[{"id":11,"stock_status":"in_stock"},{"id":12,"stock_status":"out_of_stock"},{"id":13,"stock_status":"low_stock"}]}`)
	})
	for _, p := range []string{"GET /{$}", "GET /categories/{slug}", "GET /products/{slug}", "GET /search"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>page</html>") })
	}
	mux.HandleFunc("POST /api/v1/cart/items", f.addItem)
	mux.HandleFunc("POST /api/v1/checkout", f.checkout)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

func (f *fakeStore) addItem(w http.ResponseWriter, r *http.Request) {
	var in struct{ VariantID, Quantity int }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Quantity != 1 || in.VariantID == 12 {
		http.Error(w, `{"error":{"code":"invalid"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sid := ""
	if c, err := r.Cookie("sid"); err == nil {
		sid = c.Value
	} else {
		f.sessions++
		sid = fmt.Sprint("s", f.sessions)
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
	}
	f.carts[sid]++
	fmt.Fprint(w, `{"lines":[],"count":1}`)
}

func (f *fakeStore) checkout(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	c, err := r.Cookie("sid")
	f.mu.Lock()
	f.attempts[key]++
	number, placed := f.orders[key]
	switch {
	case placed:
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"order_number":%q,"status":"pending_payment"}`, number)
		return
	case f.unavailableFirst && f.attempts[key] == 1:
		f.mu.Unlock()
		w.Header().Set("Retry-After", "3")
		http.Error(w, `{"error":{"code":"unavailable","message":"The store is busy."}}`, http.StatusServiceUnavailable)
		return
	case key == "" || err != nil || f.carts[c.Value] == 0:
		f.mu.Unlock()
		http.Error(w, `{"error":{"code":"invalid","message":"Your cart is empty."}}`, http.StatusBadRequest)
		return
	}
	number = fmt.Sprint("A-", len(f.orders)+1)
	f.orders[key] = number
	f.carts[c.Value] = 0
	reset := f.resetFirstCheckout
	f.mu.Unlock()
	if reset {
		resetConn(w)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"order_number":%q,"status":"pending_payment"}`, number)
}

// resetConn answers with a TCP reset (SO_LINGER 0), as a process killed
// mid-request does.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// resetServer resets every connection once it has read a request head.
func resetServer(t *testing.T) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
				conn.(*net.TCPConn).SetLinger(0)
			}
			conn.Close()
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t *testing.T) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &url.URL{Scheme: "http", Host: addr}
}

// handlerServer serves h.
func handlerServer(t *testing.T, h http.HandlerFunc) *url.URL {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

// testCatalog is what the fake store's discovery gives.
var testCatalog = Catalog{Categories: []string{"tea", "green-tea"}, Products: []string{"sencha", "gone"},
	Variants: []int64{11, 13}, Terms: []string{"gone", "green", "oolong", "sencha"}}

func mustMix(t *testing.T, s string) Mix {
	t.Helper()
	m, err := ParseMix(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
