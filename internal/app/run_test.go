package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestRunDrains walks a rolling restart from the app's side: a request is
// in flight when the stop comes; /readyz turns 503 while the server still
// answers; the request then completes with 200 and Run returns nil.
func TestRunDrains(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := New(Config{Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0",
			DrainDelay: time.Hour, ShutdownTimeout: time.Minute},
			Deps{DB: db, Catalog: catalog.New(db), Log: discardLog()})
		if err != nil {
			t.Fatal(err)
		}
		s.endDrain = make(chan struct{})
		entered, release := make(chan struct{}), make(chan struct{})
		s.mux.HandleFunc("GET /test/slow", func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			io.WriteString(w, "finished")
		})

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addrs := make(chan [2]net.Addr, 1)
		done := make(chan error, 1)
		go func() {
			done <- s.Run(ctx, func(public, metrics net.Addr) { addrs <- [2]net.Addr{public, metrics} })
		}()
		a := <-addrs
		base, metricsURL := "http://"+a[0].String(), "http://"+a[1].String()+"/metrics"
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		get := func(url string) (int, string) {
			t.Helper()
			res, err := client.Get(url)
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}

		if code, _ := get(base + "/readyz"); code != 200 {
			t.Fatalf("readyz before the stop: %d", code)
		}
		slow := make(chan string, 1)
		go func() {
			res, err := client.Get(base + "/test/slow")
			if err != nil {
				slow <- err.Error()
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			slow <- res.Status + " " + string(b)
		}()
		<-entered

		cancel() // SIGTERM
		// The drain begins at once, but asynchronously: ask until it shows.
		// Bounded, and the drain delay (an hour) cannot pass meanwhile.
		code, body := 0, ""
		for i := 0; i < 10000 && code != 503; i++ {
			code, body = get(base + "/readyz")
		}
		if code != 503 || !strings.Contains(body, "draining") {
			t.Fatalf("readyz while draining: %d %q, want 503 draining", code, body)
		}
		if code, _ := get(base + "/healthz"); code != 200 {
			t.Errorf("healthz while draining: %d, want 200 (still serving)", code)
		}
		if code, body := get(metricsURL); code != 200 || !strings.Contains(body, "agora_http_in_flight 1") {
			t.Errorf("metrics while draining: %d, want 200 showing the slow request in flight", code)
		}

		close(s.endDrain) // the drain delay is over: shut down
		close(release)
		if got := <-slow; got != "200 OK finished" {
			t.Errorf("in-flight request: %q, want 200 OK finished", got)
		}
		if err := <-done; err != nil {
			t.Errorf("Run after a clean drain: %v", err)
		}
		if _, err := client.Get(base + "/healthz"); err == nil {
			t.Errorf("still serving after Run returned")
		}
	})
}

// TestRunCutsOffAtDeadline: a request that outlives ShutdownTimeout is cut
// off and Run says so.
func TestRunCutsOffAtDeadline(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s, err := New(Config{Listen: "127.0.0.1:0", ShutdownTimeout: time.Millisecond},
		Deps{DB: db, Catalog: catalog.New(db), Log: discardLog()})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	s.mux.HandleFunc("GET /test/stuck", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done(): // the connection is closed at the deadline
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(p, _ net.Addr) { addr <- p }) }()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	failed := make(chan error, 1)
	go func() {
		res, err := client.Get("http://" + (<-addr).String() + "/test/stuck")
		if err == nil {
			res.Body.Close()
		}
		failed <- err
	}()
	<-entered
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("Run = %v, want an error saying requests were cut off", err)
	}
	if err := <-failed; err == nil {
		t.Errorf("the stuck request got an answer")
	}
}

func TestRunListenError(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s, err := New(Config{Listen: "127.0.0.1:-1"}, Deps{DB: db, Catalog: catalog.New(db), Log: discardLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "127.0.0.1:-1") {
		t.Errorf("Run on a bad address = %v, want an error naming it", err)
	}
}
