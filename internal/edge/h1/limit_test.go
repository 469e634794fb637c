package h1

import (
	"net/http"
	"net/netip"
	"testing"
)

// serveLimited serves the test handler from a Listener with lim, with this
// package's server or with net/http's, and returns its address.
func serveLimited(t *testing.T, kind string, lim Limits) (string, *Listener) {
	t.Helper()
	ln := Limit(listen(t), lim)
	if kind == "h1" {
		return serveOn(t, &Server{}, ln).addr, ln
	}
	hs := &http.Server{Handler: testHandler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), ln
}

// refused checks that c got the listener's refusal and was closed.
func (c *client) refused() {
	c.t.Helper()
	resp := c.expect("GET", 503, "too many connections; try again in a moment\n")
	if resp.Header.Get("Retry-After") == "" || !resp.Close {
		c.t.Errorf("refusal without Retry-After or Connection: close: %v", resp.Header)
	}
	c.closed()
}

// TestConnLimits (issue 9, item 9): past --max-conns, or
// --max-conns-per-ip for one client, a new connection is refused with a
// 503 and Retry-After at once, whichever server serves; a closed
// connection frees its place; trusted proxies are exempt from the
// per-client cap (they carry many clients).
func TestConnLimits(t *testing.T) {
	t.Parallel()
	loopback := func(a netip.Addr) bool { return a.IsLoopback() }
	for _, kind := range []string{"h1", "net/http"} {
		for _, tc := range []struct {
			name   string
			lim    Limits
			refuse bool
		}{
			{"overall", Limits{Max: 2, PerClient: 100}, true},
			{"per client", Limits{Max: 100, PerClient: 2}, true},
			{"trusted proxy exempt", Limits{Max: 100, PerClient: 2, Exempt: loopback}, false},
			{"no limits", Limits{}, false},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				addr, ln := serveLimited(t, kind, tc.lim)
				a, b := dial(t, addr), dial(t, addr)
				a.open()
				b.open()
				third := dial(t, addr)
				if !tc.refuse {
					third.open()
					return
				}
				third.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
				third.refused()
				// a leaves: its place goes to the next client.
				a.send("GET /small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
				a.expect("GET", 200, "small")
				a.closed()
				dial(t, addr).open()
				b.open()
				overall, perClient := ln.Refused()
				if overall+perClient != 1 || ln.Open() != 2 {
					t.Errorf("refused %d+%d, open %d; want 1 refusal, 2 open", overall, perClient, ln.Open())
				}
			})
		}
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.1:80", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:80", "2001:db8:1:2::"},
	} {
		if got := clientKey(addrString(tc.addr)); got.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.addr, got, tc.want)
		}
	}
}

type addrString string

func (a addrString) Network() string { return "tcp" }
func (a addrString) String() string  { return string(a) }
