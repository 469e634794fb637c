package cache

import (
	"net/http"
	"testing"
	"time"
)

func TestParseCacheControl(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name string
		in   []string
		want Directives
	}{
		{"empty", nil, base()},
		{"page contract", []string{"public, max-age=0, s-maxage=300, stale-while-revalidate=60, stale-if-error=86400"},
			with(base(), func(d *Directives) {
				d.Public, d.MaxAge, d.SMaxAge, d.StaleWhileRevalidate, d.StaleIfError = true, 0, 300*s, 60*s, 86400*s
			})},
		{"private no-store", []string{"private, no-store"}, with(base(), func(d *Directives) { d.Private, d.NoStore = true, true })},
		{"case and spaces", []string{"  MAX-AGE = 5 ,No-Cache"}, with(base(), func(d *Directives) { d.MaxAge, d.NoCache = 5*s, true })},
		{"quoted value", []string{`max-age="10"`}, with(base(), func(d *Directives) { d.MaxAge = 10 * s })},
		{"quoted comma", []string{`private="a, b", max-age=3`}, with(base(), func(d *Directives) { d.Private, d.MaxAge = true, 3*s })},
		{"request min-fresh", []string{"min-fresh=30, only-if-cached"}, with(base(), func(d *Directives) { d.MinFresh, d.OnlyIfCached = 30*s, true })},
		{"invalid min-fresh ignored", []string{"min-fresh=soon"}, base()},
		{"first wins", []string{"max-age=10, max-age=20"}, with(base(), func(d *Directives) { d.MaxAge = 10 * s })},
		{"first wins across lines", []string{"max-age=10", "max-age=20"}, with(base(), func(d *Directives) { d.MaxAge = 10 * s })},
		{"huge clamped", []string{"s-maxage=99999999999999999999999"}, with(base(), func(d *Directives) { d.SMaxAge = maxDelta * s })},
		{"invalid max-age is stale", []string{"max-age=abc"}, with(base(), func(d *Directives) { d.MaxAge = 0 })},
		{"negative max-age is stale", []string{"max-age=-1"}, with(base(), func(d *Directives) { d.MaxAge = 0 })},
		{"invalid swr ignored", []string{"stale-while-revalidate=x"}, base()},
		{"junk", []string{`,,=,"",;;, immutable, only-if-cached, must-revalidate, proxy-revalidate`},
			with(base(), func(d *Directives) {
				d.Immutable, d.OnlyIfCached, d.MustRevalidate, d.ProxyRevalidate = true, true, true, true
			})},
		{"unterminated quote", []string{`max-age=1, private="x, no-store`}, with(base(), func(d *Directives) { d.MaxAge, d.Private = s, true })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseCacheControl(tt.in); got != tt.want {
				t.Errorf("ParseCacheControl(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestResponseDirectivesPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		header       http.Header
		wantSMaxAge  time.Duration
		wantTargeted bool
	}{
		{"cache-control only", http.Header{"Cache-Control": {"s-maxage=10"}}, 10 * time.Second, false},
		{"cdn wins", http.Header{"Cache-Control": {"s-maxage=10"}, "Cdn-Cache-Control": {"s-maxage=20"}}, 20 * time.Second, true},
		{"cdn over surrogate", http.Header{"Surrogate-Control": {"s-maxage=30"}, "Cdn-Cache-Control": {"s-maxage=20"}}, 20 * time.Second, true},
		{"surrogate over cache-control", http.Header{"Cache-Control": {"s-maxage=10"}, "Surrogate-Control": {"s-maxage=30"}}, 30 * time.Second, true},
		{"junk cdn ignored", http.Header{"Cache-Control": {"s-maxage=10"}, "Cdn-Cache-Control": {"foo"}}, 10 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, targeted := ResponseDirectives(tt.header)
			if d.SMaxAge != tt.wantSMaxAge || targeted != tt.wantTargeted {
				t.Errorf("got s-maxage %v targeted %v, want %v %v", d.SMaxAge, targeted, tt.wantSMaxAge, tt.wantTargeted)
			}
		})
	}
}

func TestRequestDirectivesPragma(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  http.Header
		noCache bool
	}{
		{http.Header{"Pragma": {"no-cache"}}, true},
		{http.Header{"Pragma": {"no-cache"}, "Cache-Control": {"max-age=5"}}, false},
		{http.Header{"Cache-Control": {"no-cache"}}, true},
		{http.Header{}, false},
	}
	for _, tt := range tests {
		if got := RequestDirectives(tt.header).NoCache; got != tt.noCache {
			t.Errorf("RequestDirectives(%v).NoCache = %v, want %v", tt.header, got, tt.noCache)
		}
	}
}

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{"public, max-age=0, s-maxage=300", `private="a,b"`, `max-age="\"`, "max-age=99999999999999999999", ",,,=", `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseCacheControl([]string{s, s})
		for _, v := range []time.Duration{d.MaxAge, d.SMaxAge, d.StaleWhileRevalidate, d.StaleIfError} {
			if v != Unset && (v < 0 || v > maxDelta*time.Second) {
				t.Fatalf("ParseCacheControl(%q): duration %v out of range", s, v)
			}
		}
	})
}

func base() Directives {
	return Directives{MaxAge: Unset, SMaxAge: Unset, StaleWhileRevalidate: Unset, StaleIfError: Unset, MinFresh: Unset}
}

func with(d Directives, f func(*Directives)) Directives { f(&d); return d }
