package discover_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"agora/internal/edge/balance"
	"agora/internal/edge/discover"
	"agora/internal/edge/discover/dnstest"
)

// TestMain checks no goroutine outlives the tests, except the standard
// library's: a lookup whose context ends returns at once, and Go's
// resolver finishes the query in the background until its own deadline
// (net/lookup.go, lookupIPAddr), which a DNS server closed by the test
// leaves unanswered for seconds.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("net.(*Resolver).goLookupIPCNAMEOrder.func3.1"),
		goleak.IgnoreAnyFunction("net.(*Resolver).lookupIPAddr.func2"),
		goleak.IgnoreAnyFunction("internal/singleflight.(*Group).doCall"))
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in     string
		want   discover.Target
		isDNS  bool
		errors bool
	}{
		{"dns://app.agora.svc:8080", discover.Target{Name: "app.agora.svc", Port: 8080}, true, false},
		{"dns://app.agora.svc:8080/", discover.Target{Name: "app.agora.svc", Port: 8080}, true, false},
		{"dns+srv://_http._tcp.app.agora.svc", discover.Target{Name: "_http._tcp.app.agora.svc", SRV: true}, true, false},
		{"http://10.0.0.5:8080", discover.Target{}, false, false},
		{"10.0.0.5:8080", discover.Target{}, false, false},
		{"dns://app.agora.svc", discover.Target{}, true, true},         // no port
		{"dns://app.agora.svc:0", discover.Target{}, true, true},       // no port either
		{"dns://app.agora.svc:70000", discover.Target{}, true, true},   // not a port
		{"dns+srv://_http._tcp.app:80", discover.Target{}, true, true}, // SRV gives the port
		{"dns://app.agora.svc:8080/shop", discover.Target{}, true, true},
		{"dns://u:p@app.agora.svc:8080", discover.Target{}, true, true},
		{"dns://:8080", discover.Target{}, true, true},
	} {
		got, isDNS, err := discover.Parse(c.in)
		if got != c.want || isDNS != c.isDNS || (err != nil) != c.errors {
			t.Errorf("Parse(%q) = %+v, %v, %v; want %+v, %v, error %v", c.in, got, isDNS, err, c.want, c.isDNS, c.errors)
		}
		if err == nil && isDNS && got.String() != strings.TrimSuffix(c.in, "/") {
			t.Errorf("%q reads back as %q", c.in, got.String())
		}
	}
}

// rig is a resolver of targets against a test DNS server, feeding a real
// pool without health checks, and the log it writes.
type rig struct {
	dns  *dnstest.Server
	pool *balance.Pool
	r    *discover.Resolver
	log  *syncBuffer
}

func newRig(t *testing.T, static []string, targets ...string) *rig {
	t.Helper()
	g := &rig{dns: dnstest.Start(t), log: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(g.log, nil))
	g.pool = balance.New(balance.Config{Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(g.pool.Close)
	g.r = &discover.Resolver{Pool: g.pool, Server: g.dns.Addr, Log: log, Timeout: 2 * time.Second}
	for _, s := range static {
		g.r.Static = append(g.r.Static, mustURL(t, s))
	}
	for _, s := range targets {
		tg, ok, err := discover.Parse(s)
		if !ok || err != nil {
			t.Fatalf("Parse(%q): %v %v", s, ok, err)
		}
		g.r.Targets = append(g.r.Targets, tg)
	}
	return g
}

// members are the URLs the pool sends new requests to.
func (g *rig) members() []string {
	var out []string
	for _, b := range g.pool.Members() {
		out = append(out, b.URL.String())
	}
	return out
}

// TestRecordsMakeThePool: each kind of record, and each change to them,
// gives the pool the backends a user would expect, static ones included.
func TestRecordsMakeThePool(t *testing.T) {
	t.Parallel()
	type step struct {
		name  string
		setup func(*dnstest.Server)
		want  []string
	}
	for _, c := range []struct {
		name    string
		static  []string
		targets []string
		steps   []step
	}{{
		name:    "A records added and removed",
		targets: []string{"dns://app.agora.test:8080"},
		steps: []step{
			{"two", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "10.0.0.2", "10.0.0.1") },
				[]string{"http://10.0.0.1:8080", "http://10.0.0.2:8080"}},
			{"one added", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "10.0.0.2", "10.0.0.1", "10.0.0.3") },
				[]string{"http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"}},
			{"one removed", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "10.0.0.3", "10.0.0.2") },
				[]string{"http://10.0.0.2:8080", "http://10.0.0.3:8080"}},
		},
	}, {
		name:    "AAAA records are bracketed",
		targets: []string{"dns://app.agora.test:8080"},
		steps: []step{
			{"v4 and v6", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "2001:db8::1", "10.0.0.1") },
				[]string{"http://10.0.0.1:8080", "http://[2001:db8::1]:8080"}},
			{"v6 only", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "2001:db8::1", "2001:db8::2") },
				[]string{"http://[2001:db8::1]:8080", "http://[2001:db8::2]:8080"}},
		},
	}, {
		name:    "SRV records give hosts and ports",
		targets: []string{"dns+srv://_http._tcp.app.agora.test"},
		steps: []step{
			{"two targets", func(s *dnstest.Server) {
				s.SetSRV("_http._tcp.app.agora.test", dnstest.SRV{Target: "a.agora.test", Port: 9001}, dnstest.SRV{Target: "b.agora.test", Port: 9002, Priority: 1})
				s.SetAddrs("a.agora.test", "10.0.0.1")
				s.SetAddrs("b.agora.test", "10.0.0.2", "2001:db8::2")
			}, []string{"http://10.0.0.1:9001", "http://10.0.0.2:9002", "http://[2001:db8::2]:9002"}},
			{"a target moves", func(s *dnstest.Server) { s.SetAddrs("a.agora.test", "10.0.0.7") },
				[]string{"http://10.0.0.7:9001", "http://10.0.0.2:9002", "http://[2001:db8::2]:9002"}},
			{"a target leaves", func(s *dnstest.Server) {
				s.SetSRV("_http._tcp.app.agora.test", dnstest.SRV{Target: "b.agora.test", Port: 9002})
			}, []string{"http://10.0.0.2:9002", "http://[2001:db8::2]:9002"}},
		},
	}, {
		name:    "static URLs and names together",
		static:  []string{"http://static.agora.test:8080"},
		targets: []string{"dns://app.agora.test:8080", "dns://other.agora.test:9000"},
		steps: []step{
			{"both names", func(s *dnstest.Server) {
				s.SetAddrs("app.agora.test", "10.0.0.1")
				s.SetAddrs("other.agora.test", "10.0.1.1", "10.0.0.1")
			}, []string{"http://static.agora.test:8080", "http://10.0.0.1:8080", "http://10.0.0.1:9000", "http://10.0.1.1:9000"}},
			{"one name changes", func(s *dnstest.Server) { s.SetAddrs("app.agora.test", "10.0.0.2") },
				[]string{"http://static.agora.test:8080", "http://10.0.0.2:8080", "http://10.0.0.1:9000", "http://10.0.1.1:9000"}},
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := newRig(t, c.static, c.targets...)
			for _, s := range c.steps {
				s.setup(g.dns)
				if err := g.r.Refresh(t.Context()); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if got := g.members(); !slices.Equal(got, s.want) {
					t.Errorf("%s: pool %v, want %v", s.name, got, s.want)
				}
			}
		})
	}
}

// TestRemovedBackendDrains: an address gone from DNS takes no new request,
// and the one it has in flight is not cut.
func TestRemovedBackendDrains(t *testing.T) {
	t.Parallel()
	g := newRig(t, nil, "dns://app.agora.test:8080")
	g.dns.SetAddrs("app.agora.test", "10.0.0.1", "10.0.0.2")
	if err := g.r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	gone := g.pool.Members()[0]
	if err := gone.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	g.dns.SetAddrs("app.agora.test", "10.0.0.2")
	if err := g.r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		c, err := g.pool.Pick("")
		if err != nil || c.Backend == gone {
			t.Fatalf("picked %v, %v after the address left DNS", c.Backend, err)
		}
	}
	if gone.State() != balance.Draining || gone.InFlight() != 1 {
		t.Errorf("removed backend: %v with %d in flight, want draining with 1", gone.State(), gone.InFlight())
	}
	gone.Release(balance.Result{})
	if err := gone.Wait(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestDNSFailureKeepsTheSet: a server failure, a name gone, an empty
// answer and a server that does not answer all keep the last known
// backends; the status says what failed, and the log says it once per
// streak of failures, not once per lookup.
func TestDNSFailureKeepsTheSet(t *testing.T) {
	t.Parallel()
	want := []string{"http://10.0.0.1:8080", "http://[2001:db8::1]:8080"}
	for _, c := range []struct {
		name  string
		fault func(*dnstest.Server)
	}{
		{"SERVFAIL", func(s *dnstest.Server) { s.Fail(true) }},
		{"NXDOMAIN", func(s *dnstest.Server) { s.SetAddrs("app.agora.test") }},
		{"empty answer", func(s *dnstest.Server) {
			s.SetAddrs("app.agora.test")
			s.SetSRV("app.agora.test", dnstest.SRV{Target: "x", Port: 1})
		}},
		{"server down", func(s *dnstest.Server) { s.Close() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := newRig(t, nil, "dns://app.agora.test:8080")
			g.dns.SetAddrs("app.agora.test", "10.0.0.1", "2001:db8::1")
			if err := g.r.Refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			resolved := g.r.Status().Names[0].Resolved
			c.fault(g.dns)
			for i := range 3 {
				if err := g.r.Refresh(t.Context()); err == nil {
					t.Fatalf("lookup %d after the fault worked", i)
				}
				if got := g.members(); !slices.Equal(got, want) {
					t.Fatalf("lookup %d after the fault: pool %v, want %v kept", i, got, want)
				}
			}
			st := g.r.Status().Names[0]
			if !strings.Contains(st.Error, g.dns.Addr) {
				t.Errorf("error %q does not name the server asked, %s", st.Error, g.dns.Addr)
			}
			if st.Error == "" || st.Failures != 3 || !st.Resolved.Equal(resolved) || !slices.Equal(st.Backends, want) {
				t.Errorf("status: %+v", st)
			}
			if n := strings.Count(g.log.String(), "level=WARN"); n != 1 {
				t.Errorf("%d warnings for one streak of failures:\n%s", n, g.log)
			}
		})
	}
}

// TestRecovery: after failures, the first lookup that works sets the pool
// to its answer, clears the error and says so once.
func TestRecovery(t *testing.T) {
	t.Parallel()
	g := newRig(t, nil, "dns://app.agora.test:8080")
	g.dns.SetAddrs("app.agora.test", "10.0.0.1")
	if err := g.r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	g.dns.Fail(true)
	_ = g.r.Refresh(t.Context())
	g.dns.Fail(false)
	g.dns.SetAddrs("app.agora.test", "10.0.0.2")
	if err := g.r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := g.members(); !slices.Equal(got, []string{"http://10.0.0.2:8080"}) {
		t.Errorf("pool %v", got)
	}
	if st := g.r.Status().Names[0]; st.Error != "" || st.Failures != 0 {
		t.Errorf("status after recovery: %+v", st)
	}
	if n := strings.Count(g.log.String(), "lookups work again"); n != 1 {
		t.Errorf("recovery told %d times:\n%s", n, g.log)
	}
}

// TestStartWithoutAnswer: a first lookup that fails leaves the pool empty
// (never Set empty), says so, and the first answer fills it.
func TestStartWithoutAnswer(t *testing.T) {
	t.Parallel()
	g := newRig(t, nil, "dns://app.agora.test:8080")
	if err := g.r.Refresh(t.Context()); err == nil {
		t.Fatal("a lookup of a name DNS does not know worked")
	}
	if got := g.members(); len(got) != 0 {
		t.Errorf("pool %v", got)
	}
	if !strings.Contains(g.log.String(), "no backends from DNS yet; retrying") {
		t.Errorf("log: %s", g.log)
	}
	g.dns.SetAddrs("app.agora.test", "10.0.0.1")
	if err := g.r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := g.members(); !slices.Equal(got, []string{"http://10.0.0.1:8080"}) {
		t.Errorf("pool %v", got)
	}
}

// TestRunFollowsDNSUntilCancelled: Run re-resolves on its interval, and
// returns when its context ends (goleak checks nothing is left).
func TestRunFollowsDNSUntilCancelled(t *testing.T) {
	t.Parallel()
	g := newRig(t, nil, "dns://app.agora.test:8080")
	g.r.Interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.r.Run(ctx)
	}()
	for _, addrs := range [][]string{{"10.0.0.1"}, {"10.0.0.1", "10.0.0.2"}, {"10.0.0.2"}} {
		g.dns.SetAddrs("app.agora.test", addrs...)
		var want []string
		for _, a := range addrs {
			want = append(want, "http://"+a+":8080")
		}
		for !slices.Equal(g.members(), want) {
			time.Sleep(time.Millisecond) // a poll's pace, not a synchronisation
		}
	}
	cancel()
	<-done
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// syncBuffer is a log destination the resolver and the test share.
type syncBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
