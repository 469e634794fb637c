package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           Class
	}{
		{"GET", "/", Pages},
		{"GET", "/products/red-shoe", Pages},
		{"HEAD", "/categories/shoes?page=2", Pages},
		{"GET", "/api/v1/products?category=shoes", Pages},
		{"GET", "/api/v1/session", Pages},
		{"GET", "/static/app.1a2b3c.css", Unlimited},
		{"GET", "/media/ab/cd.jpg", Unlimited},
		{"GET", "/search?q=shoe", Search},
		{"GET", "/api/v1/products?q=shoe&page=2", Search},
		{"GET", "/api/v1/products?q=", Pages},
		{"POST", "/cart/items", Cart},
		{"POST", "/cart/items/42/remove", Cart},
		{"POST", "/api/v1/cart/items", Cart},
		{"PATCH", "/api/v1/cart/items/42", Cart},
		{"DELETE", "/api/v1/cart/items/42", Cart},
		{"POST", "/account/login", Login},
		{"POST", "/admin/login", Login},
		{"POST", "/api/v1/session", Login},
		{"POST", "/account/reset/tok", Login},
		{"POST", "/api/v1/password-reset", Login},
		{"POST", "/account/register", Register},
		{"POST", "/api/v1/customers", Register},
		{"POST", "/checkout", Checkout},
		{"POST", "/api/v1/checkout", Checkout},
		{"POST", "/account/logout", Unlimited},
		{"DELETE", "/api/v1/session", Unlimited},
		{"POST", "/api/v1/admin/products", Unlimited},
	} {
		path, query, _ := strings.Cut(tc.target, "?")
		if got := Classify(tc.method, path, query); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.target, got, tc.want)
		}
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rule
		err  bool
	}{
		{in: "20/s,burst=100", want: Rule{Rate: 20, Burst: 100}},
		{in: "10/m", want: Rule{Rate: 10.0 / 60, Burst: 10}},
		{in: "3600/h, burst=5", want: Rule{Rate: 1, Burst: 5}},
		{in: "off", want: Rule{}},
		{in: "OFF", want: Rule{}},
		{in: "0.5/s", want: Rule{Rate: 0.5, Burst: 1}},
		{in: "10", err: true},
		{in: "10/d", err: true},
		{in: "-1/s", err: true},
		{in: "10/s,burst=0", err: true},
		{in: "10/s,bust=3", err: true},
	} {
		got, err := ParseRule(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseRule(%q) = %+v, %v", tc.in, got, err)
		}
	}
	for _, r := range Defaults {
		back, err := ParseRule(r.String())
		if err != nil || fmt.Sprintf("%.6f %.6f", back.Rate, back.Burst) != fmt.Sprintf("%.6f %.6f", r.Rate, r.Burst) {
			t.Errorf("%v: read back as %+v, %v", r, back, err)
		}
	}
}

// clock is a settable clock for the buckets.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBucketRefusesThenRefills(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	l := &Limiter{Rules: map[Class]Rule{Login: {Rate: 1.0 / 6, Burst: 3}}, Now: c.now}
	a, b := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("203.0.113.10")
	for i := range 3 {
		if ok, _ := l.Allow(Login, a); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, retry := l.Allow(Login, a)
	if ok || retry != 6*time.Second {
		t.Fatalf("fourth login: allowed %v, retry after %v; want refused, 6s", ok, retry)
	}
	if ok, _ := l.Allow(Login, b); !ok {
		t.Fatal("another address shares the first one's bucket")
	}
	if ok, _ := l.Allow(Pages, a); !ok {
		t.Fatal("an unlimited class was refused")
	}
	c.t = c.t.Add(6 * time.Second)
	if ok, _ := l.Allow(Login, a); !ok {
		t.Fatal("refused after the bucket earned a token")
	}
	if got := l.Refused(Login); got != 1 {
		t.Fatalf("refused count %d, want 1", got)
	}
}

func TestIPv6CountsBySlash64(t *testing.T) {
	l := &Limiter{Rules: map[Class]Rule{Login: {Rate: 0.01, Burst: 1}}}
	l.Allow(Login, netip.MustParseAddr("2001:db8:1:2::1"))
	if ok, _ := l.Allow(Login, netip.MustParseAddr("2001:db8:1:2::ffff")); ok {
		t.Fatal("a second address of the same /64 got its own bucket")
	}
}

// A flood of distinct addresses (a botnet, or IPv6 /64s) must not grow
// the edge past MaxClients buckets, and real clients keep working.
func TestMemoryBoundedUnderAddressFlood(t *testing.T) {
	l := &Limiter{Rules: map[Class]Rule{Search: {Rate: 1, Burst: 2}}, MaxClients: 3200}
	for i := range 40_000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.Allow(Search, a)
	}
	if n := l.Clients(); n > 3200 {
		t.Fatalf("%d buckets held, bound 3200", n)
	}
	if ok, _ := l.Allow(Search, netip.MustParseAddr("198.51.100.1")); !ok {
		t.Fatal("a new client was refused during the flood")
	}
}

func TestSweepDropsIdleBuckets(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	l := &Limiter{Rules: map[Class]Rule{Cart: {Rate: 1, Burst: 5}}, Now: c.now}
	l.Allow(Cart, netip.MustParseAddr("192.0.2.1"))
	l.collect(10) // reported
	l.sweep()
	if l.Clients() != 1 {
		t.Fatal("a bucket still owed tokens was dropped")
	}
	c.t = c.t.Add(2 * time.Second)
	l.sweep()
	if l.Clients() != 0 {
		t.Fatal("a full bucket was kept")
	}
}

func TestRefuseAnswers(t *testing.T) {
	for _, tc := range []struct{ path, ctype, body string }{
		{"/api/v1/session", "application/json", `{"error":{"code":"rate_limited"`},
		{"/account/login", "text/plain; charset=utf-8", "too many login requests"},
	} {
		w := httptest.NewRecorder()
		Refuse(w, httptest.NewRequest("POST", tc.path, nil), Login, 2500*time.Millisecond)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" ||
			w.Header().Get("Content-Type") != tc.ctype || !strings.Contains(w.Body.String(), tc.body) ||
			w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v %q", tc.path, w.Code, w.Header(), w.Body)
		}
	}
}

func TestSyncTakesOtherEdgesUse(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	l := &Limiter{Rules: map[Class]Rule{Login: {Rate: 0.1, Burst: 10}}, Now: c.now}
	a := netip.MustParseAddr("203.0.113.9")
	k := FormatKey(Login, a)
	l.apply([]Usage{{Key: k, N: 100, D: 6}}) // first sight: the others' last growth
	l.apply([]Usage{{Key: k, N: 103, D: 3}}) // then the growth of their total
	allowed := 0
	for range 10 {
		if ok, _ := l.Allow(Login, a); ok {
			allowed++
		}
	}
	if allowed != 1 {
		t.Fatalf("%d allowed of a burst of 10 after the others used 9; want 1", allowed)
	}
	if rep := l.collect(10); len(rep) != 1 || rep[0] != (Usage{Key: k, N: 1, D: 1}) {
		t.Fatalf("report %+v", rep)
	}
}

func TestExemptClientsAreNotLimited(t *testing.T) {
	local := netip.MustParseAddr("127.0.0.1")
	l := &Limiter{Rules: map[Class]Rule{Login: {Rate: 0.01, Burst: 1}}, Exempt: func(a netip.Addr) bool { return a == local }}
	for range 5 {
		if ok, _ := l.Allow(Login, local); !ok {
			t.Fatal("an exempt client was refused")
		}
	}
	if l.Clients() != 0 {
		t.Fatal("an exempt client took a bucket")
	}
}
