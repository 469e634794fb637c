package main_test

// Backends from DNS end to end (issue 10): `agora edge --backends
// dns://NAME:PORT` asks a DNS server in the test process, as an edge in
// Kubernetes asks for a headless service, while the test adds, removes and
// fails its records under steady load.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
	"agora/internal/edge/discover/dnstest"
)

// TestEdgeBackendsFromDNS: an address added to DNS joins the pool, one
// removed drains and gets no request after, a DNS server that fails keeps
// the pool as it was, and the load through all of it sees no failed
// request.
func TestEdgeBackendsFromDNS(t *testing.T) {
	t.Parallel()
	const name = "app.agora.test"
	dns := dnstest.Start(t)
	apps, port := startAddrApps(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	dns.SetAddrs(name, "127.0.0.1", "127.0.0.2")
	e, admin := startEdge(t, "--backends", "dns://"+name+":"+port, "--dns-server", dns.Addr, "--dns-interval", "100ms",
		"--health-interval", "100ms", "--slow-start", "0s")
	urlOf := func(ip string) string { return "http://" + net.JoinHostPort(ip, port) }
	// waitUntil polls the edge's status until cond holds of it.
	waitUntil := func(what string, cond func(edge.Status) bool) edge.Status {
		t.Helper()
		for {
			st := edgeStatus(t, admin)
			if cond(st) {
				t.Logf("%s: %v", what, st.Backends)
				return st
			}
			time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
		}
	}
	// served waits until each app named has served n more requests.
	served := func(n int64, ips ...string) {
		t.Helper()
		base := map[string]int64{}
		for _, ip := range ips {
			base[ip] = apps[ip].Load()
		}
		for _, ip := range ips {
			for apps[ip].Load() < base[ip]+n {
				time.Sleep(10 * time.Millisecond) // a poll's pace, not a synchronisation
			}
		}
	}

	load := startSteadyLoad(t, e.url, 100)
	waitUntil("the two first addresses serve", func(st edge.Status) bool {
		return slices.Equal(st.Backends, []string{urlOf("127.0.0.1"), urlOf("127.0.0.2")}) && allHealthy(st)
	})
	served(10, "127.0.0.1", "127.0.0.2")

	dns.SetAddrs(name, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	waitUntil("the added address joins", func(st edge.Status) bool { return len(st.Backends) == 3 && allHealthy(st) })
	served(10, "127.0.0.3")

	dns.SetAddrs(name, "127.0.0.2", "127.0.0.3")
	// Gone from the members at once, then from the status once its last
	// request has finished: from then on nothing can reach it.
	waitUntil("the removed address drains", func(st edge.Status) bool {
		return !slices.ContainsFunc(st.Pool.Backends, func(b balance.BackendStatus) bool { return b.URL == urlOf("127.0.0.1") })
	})
	drained := apps["127.0.0.1"].Load()
	served(30, "127.0.0.2", "127.0.0.3")
	if n := apps["127.0.0.1"].Load(); n != drained {
		t.Errorf("the removed backend got %d requests after it drained", n-drained)
	}

	dns.Fail(true)
	st := waitUntil("lookups fail", func(st edge.Status) bool {
		return st.Discovery != nil && st.Discovery.Names[0].Failures >= 3
	})
	if want := []string{urlOf("127.0.0.2"), urlOf("127.0.0.3")}; !slices.Equal(st.Backends, want) {
		t.Errorf("while DNS fails: backends %v, want %v kept", st.Backends, want)
	}
	served(10, "127.0.0.2", "127.0.0.3")
	dns.Fail(false)
	waitUntil("lookups work again", func(st edge.Status) bool { return st.Discovery.Names[0].Failures == 0 })

	ok, failed := load.stop()
	t.Logf("%d requests through the edge, %d failed; served by app: 1=%d 2=%d 3=%d", ok+failed, failed,
		apps["127.0.0.1"].Load(), apps["127.0.0.2"].Load(), apps["127.0.0.3"].Load())
	if failed != 0 {
		t.Errorf("%d requests failed while the pool changed, among them %v", failed, load.errs)
	}
	if n := strings.Count(e.log(), "discover: lookup failed; keeping the last known backends"); n != 1 {
		t.Errorf("one DNS outage told %d times in the log", n)
	}
	if t.Failed() {
		t.Logf("edge log:\n%s", e.log())
	}
}

// startAddrApps serves a stand-in app on the same free port of each
// loopback address (DNS A records carry no port), counting the requests
// that are not health checks. Each request takes a little work, so some are
// in flight whenever the pool changes.
func startAddrApps(t *testing.T, ips ...string) (map[string]*atomic.Int64, string) {
	t.Helper()
	counts := map[string]*atomic.Int64{}
	for attempt := 0; ; attempt++ {
		lns, err := listenAll(ips)
		if err != nil {
			if attempt < 10 {
				continue // another process holds the port on one address
			}
			t.Fatal(err)
		}
		for i, ln := range lns {
			n := &atomic.Int64{}
			counts[ips[i]] = n
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/readyz" {
					n.Add(1)
					time.Sleep(2 * time.Millisecond) // the work of a page
				}
				w.Header().Set("Cache-Control", "no-store")
				fmt.Fprintf(w, "app %s\n", ips[i])
			})}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { srv.Close() })
		}
		_, port, _ := net.SplitHostPort(lns[0].Addr().String())
		return counts, port
	}
}

func listenAll(ips []string) ([]net.Listener, error) {
	first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
	if err != nil {
		return nil, err
	}
	lns := []net.Listener{first}
	port := strconv.Itoa(first.Addr().(*net.TCPAddr).Port)
	for _, ip := range ips[1:] {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, port))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// steadyLoad sends GETs of uncached pages at a constant rate, each in its
// own goroutine (open loop, as a crowd of shoppers), and counts outcomes.
type steadyLoad struct {
	quit       chan struct{}
	done       chan struct{}
	wg         sync.WaitGroup
	ok, failed atomic.Int64
	mu         sync.Mutex // protects errs
	errs       []string   // the first few failures
}

func startSteadyLoad(t *testing.T, base string, perSecond int) *steadyLoad {
	l := &steadyLoad{quit: make(chan struct{}), done: make(chan struct{})}
	c := &http.Client{Timeout: 30 * time.Second}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-l.quit:
				l.wg.Wait()
				return
			case <-tick.C:
			}
			l.wg.Go(func() { l.one(c, base+"/page?n="+strconv.Itoa(i)) })
		}
	}()
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *steadyLoad) one(c *http.Client, u string) {
	resp, err := c.Get(u)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", resp.Status)
		}
	}
	if err == nil {
		l.ok.Add(1)
		return
	}
	l.failed.Add(1)
	l.mu.Lock()
	if len(l.errs) < 5 {
		l.errs = append(l.errs, u+": "+err.Error())
	}
	l.mu.Unlock()
}

// stop ends the load once the requests in flight are answered.
func (l *steadyLoad) stop() (ok, failed int64) {
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	<-l.done
	return l.ok.Load(), l.failed.Load()
}

// TestEdgeStartsBeforeDNSKnowsBackends: an edge whose name DNS does not
// list yet (no app pod ready) starts, says why it has no backend, answers
// 503 with Retry-After, and serves once the name resolves: no restart.
func TestEdgeStartsBeforeDNSKnowsBackends(t *testing.T) {
	t.Parallel()
	const name = "app.agora.test"
	dns := dnstest.Start(t)
	apps, port := startAddrApps(t, "127.0.0.1")
	e, _ := startEdge(t, "--backends", "dns://"+name+":"+port, "--dns-server", dns.Addr, "--dns-interval", "100ms",
		"--health-interval", "100ms")
	e.waitLog(t, "discover: no backends from DNS yet; retrying")
	resp, err := http.Get(e.url + "/page")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("without backends: %s, Retry-After %q; want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	dns.SetAddrs(name, "127.0.0.1")
	for {
		resp, err := http.Get(e.url + "/page")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace, not a synchronisation
	}
	if apps["127.0.0.1"].Load() == 0 {
		t.Error("a 200 without the app serving it")
	}
}
