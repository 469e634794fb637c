package cache

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestStorable(t *testing.T) {
	t.Parallel()
	page := "public, max-age=0, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"
	tests := []struct {
		name    string
		method  string
		reqH    http.Header
		status  int
		respH   http.Header
		wantOK  bool
		wantWhy string
	}{
		{"page", "GET", nil, 200, http.Header{"Cache-Control": {page}}, true, ""},
		{"no directives 200", "GET", nil, 200, http.Header{}, true, ""},
		{"head", "HEAD", nil, 200, http.Header{"Cache-Control": {page}}, false, ReasonMethod},
		{"post", "POST", nil, 200, http.Header{"Cache-Control": {page}}, false, ReasonMethod},
		{"request no-store", "GET", http.Header{"Cache-Control": {"no-store"}}, 200, http.Header{"Cache-Control": {page}}, false, ReasonRequestNoStor},
		{"206", "GET", nil, 206, http.Header{"Cache-Control": {page}}, false, ReasonStatus},
		{"304", "GET", nil, 304, http.Header{"Cache-Control": {page}}, false, ReasonStatus},
		{"404 default", "GET", nil, 404, http.Header{}, true, ""},
		{"500 without freshness", "GET", nil, 500, http.Header{"Cache-Control": {"public"}}, false, ReasonStatus},
		{"500 with s-maxage", "GET", nil, 500, http.Header{"Cache-Control": {"s-maxage=5"}}, true, ""},
		{"302 with expires", "GET", nil, 302, http.Header{"Expires": {t0.Format(http.TimeFormat)}}, true, ""},
		{"no-store", "GET", nil, 200, http.Header{"Cache-Control": {"no-store"}}, false, ReasonNoStore},
		{"private", "GET", nil, 200, http.Header{"Cache-Control": {"private, no-store"}}, false, ReasonNoStore},
		{"private only", "GET", nil, 200, http.Header{"Cache-Control": {`private="x"`}}, false, ReasonPrivate},
		{"cdn no-store beats public", "GET", nil, 200, http.Header{"Cache-Control": {page}, "Cdn-Cache-Control": {"no-store"}}, false, ReasonNoStore},
		{"authorization", "GET", http.Header{"Authorization": {"Bearer x"}}, 200, http.Header{"Cache-Control": {"max-age=60"}}, false, ReasonAuthorization},
		{"authorization public", "GET", http.Header{"Authorization": {"Bearer x"}}, 200, http.Header{"Cache-Control": {page}}, true, ""},
		{"authorization s-maxage", "GET", http.Header{"Authorization": {"Bearer x"}}, 200, http.Header{"Cache-Control": {"s-maxage=1"}}, true, ""},
		{"set-cookie", "GET", nil, 200, http.Header{"Cache-Control": {page}, "Set-Cookie": {"a=1"}}, false, ReasonSetCookie},
		{"vary star", "GET", nil, 200, http.Header{"Cache-Control": {page}, "Vary": {"Accept-Encoding, *"}}, false, ReasonVaryStar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "http://h/p", nil)
			for k, v := range tt.reqH {
				r.Header[k] = v
			}
			ok, why := Storable(r, tt.status, tt.respH)
			if ok != tt.wantOK || why != tt.wantWhy {
				t.Errorf("Storable = %v %q, want %v %q", ok, why, tt.wantOK, tt.wantWhy)
			}
		})
	}
}

func TestFreshness(t *testing.T) {
	t.Parallel()
	date := func(d time.Time) string { return d.Format(http.TimeFormat) }
	s := time.Second
	tests := []struct {
		name   string
		policy Policy
		status int
		h      http.Header
		want   Freshness
	}{
		{"s-maxage over max-age", Policy{}, 200, http.Header{"Cache-Control": {"max-age=10, s-maxage=300"}}, Freshness{Lifetime: 300 * s}},
		{"max-age over expires", Policy{}, 200, http.Header{"Cache-Control": {"max-age=10"}, "Date": {date(t0)}, "Expires": {date(t0.Add(time.Hour))}}, Freshness{Lifetime: 10 * s}},
		{"expires minus date", Policy{}, 200, http.Header{"Date": {date(t0)}, "Expires": {date(t0.Add(time.Hour))}}, Freshness{Lifetime: time.Hour}},
		{"invalid expires", Policy{}, 200, http.Header{"Expires": {"0"}}, Freshness{}},
		{"expires ignored under cdn field", Policy{}, 200, http.Header{"Cdn-Cache-Control": {"public"}, "Date": {date(t0)}, "Expires": {date(t0.Add(time.Hour))}}, Freshness{}},
		{"heuristic off", Policy{}, 200, http.Header{"Date": {date(t0)}, "Last-Modified": {date(t0.Add(-100 * time.Hour))}}, Freshness{}},
		{"heuristic on", Policy{Heuristic: true}, 200, http.Header{"Date": {date(t0)}, "Last-Modified": {date(t0.Add(-100 * time.Minute))}}, Freshness{Lifetime: 10 * time.Minute}},
		{"heuristic capped", Policy{Heuristic: true}, 200, http.Header{"Date": {date(t0)}, "Last-Modified": {date(t0.Add(-1000 * time.Hour))}}, Freshness{Lifetime: 24 * time.Hour}},
		{"stale windows", Policy{}, 200, http.Header{"Cache-Control": {"s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"}},
			Freshness{Lifetime: 300 * s, StaleWhileRevalidate: 60 * s, StaleIfError: 86400 * s}},
		{"stale windows capped", Policy{MaxStaleWhileRevalidate: 30 * s, MaxStaleIfError: time.Hour}, 200,
			http.Header{"Cache-Control": {"s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"}},
			Freshness{Lifetime: 300 * s, StaleWhileRevalidate: 30 * s, StaleIfError: time.Hour}},
		{"must-revalidate forbids stale", Policy{}, 200, http.Header{"Cache-Control": {"max-age=5, must-revalidate, stale-if-error=60"}}, Freshness{Lifetime: 5 * s}},
		{"no-cache", Policy{}, 200, http.Header{"Cache-Control": {"no-cache, max-age=60, stale-while-revalidate=60"}}, Freshness{}},
		{"age header", Policy{}, 200, http.Header{"Cache-Control": {"max-age=60"}, "Age": {"20"}}, Freshness{Lifetime: 60 * s, InitialAge: 20 * s}},
		{"apparent age from date", Policy{}, 200, http.Header{"Cache-Control": {"max-age=60"}, "Date": {date(t0.Add(-30 * s))}, "Age": {"5"}}, Freshness{Lifetime: 60 * s, InitialAge: 30 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.policy.Freshness(tt.status, tt.h, t0, t0); got != tt.want {
				t.Errorf("Freshness = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFreshnessResponseDelay(t *testing.T) {
	t.Parallel()
	// A 2 s round trip counts against the response's age (RFC 9111 §4.2.3).
	f := Policy{}.Freshness(200, http.Header{"Age": {"10"}}, t0.Add(-2*time.Second), t0)
	if f.InitialAge != 12*time.Second {
		t.Errorf("InitialAge = %v, want 12s", f.InitialAge)
	}
}

func TestState(t *testing.T) {
	t.Parallel()
	f := Freshness{Lifetime: 300 * time.Second, InitialAge: 10 * time.Second, StaleWhileRevalidate: 60 * time.Second, StaleIfError: time.Hour}
	tests := []struct {
		after time.Duration
		want  State
	}{
		{0, Fresh},
		{289 * time.Second, Fresh},
		{290 * time.Second, StaleRevalidate},
		{349 * time.Second, StaleRevalidate},
		{350 * time.Second, StaleIfError},
		{time.Hour + 290*time.Second, Stale},
		{-time.Hour, Fresh}, // clock stepped back
	}
	for _, tt := range tests {
		if got := f.State(t0, t0.Add(tt.after)); got != tt.want {
			t.Errorf("State after %v = %v, want %v", tt.after, got, tt.want)
		}
	}
}
