package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlowloris (issue 12): many connections from one address, each
// sending its head a byte at a time, never finishing. The per-client cap
// refuses those past it at once; ReadHeaderTimeout closes the others
// although they keep sending (a deadline from the first byte, not from
// the last, or a byte a second would hold a connection for ever); and a
// shopper from another address is served throughout. IdleTimeout is an
// hour, past the attackers' own deadline, so only the head deadline can
// close them in time.
func TestSlowloris(t *testing.T) {
	t.Parallel()
	ln := Limit(listen(t), Limits{Max: 100, PerClient: 20})
	ts := serveOn(t, &Server{Fast: testFast, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: time.Hour}, ln)

	const attackers = 30
	var wg sync.WaitGroup
	outcome := make(chan string, attackers)
	stop := make(chan struct{})
	for range attackers {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		wg.Go(func() { outcome <- trickle(nc, stop) })
	}

	// The shopper, from 127.0.0.2: its own per-client count.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	for range 20 {
		nc, err := d.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, nc: nc, br: bufio.NewReader(nc)}
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		c.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\nGET /small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
		c.expect("GET", 200, "fast")
		c.expect("GET", 200, "small")
		c.closed()
		nc.Close()
	}

	counts := map[string]int{}
	for range attackers {
		counts[<-outcome]++
	}
	close(stop)
	wg.Wait()
	if counts["refused"] != attackers-20 || counts["closed"] != 20 {
		t.Fatalf("attackers: %v; want %d refused at accept and 20 closed by the head deadline", counts, attackers-20)
	}
	if _, perClient := ln.Refused(); perClient != attackers-20 {
		t.Errorf("%d refused by the per-client cap, want %d", perClient, attackers-20)
	}
}

// trickle sends a request head a byte at a time, 20 a second, until the
// server answers or closes; it says which: "refused" (the listener's 503),
// "closed" (no answer, the connection ended), or what else happened.
func trickle(nc net.Conn, stop <-chan struct{}) string {
	got := make(chan string, 1)
	go func() {
		br := bufio.NewReader(nc)
		resp, err := http.ReadResponse(br, nil)
		switch {
		case err == nil && resp.StatusCode == http.StatusServiceUnavailable:
			got <- "refused"
		case err == nil:
			got <- "answered " + resp.Status
		case err == io.EOF || err == io.ErrUnexpectedEOF || strings.Contains(err.Error(), "reset"):
			got <- "closed"
		default:
			got <- err.Error()
		}
	}()
	head := "GET /fast HTTP/1.1\r\nHost: a\r\nX-Slow: " + strings.Repeat("z", 1000)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i = (i + 1) % len(head) {
		select {
		case r := <-got:
			return r
		case <-stop:
			return "stopped"
		case <-t.C:
		}
		if _, err := nc.Write([]byte{head[i]}); err != nil {
			return <-got // the server closed: what did the reader see?
		}
	}
}
