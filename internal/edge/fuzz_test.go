package edge

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"agora/internal/edge/cache"
	"agora/internal/edge/purgelog"
)

// FuzzFastPathKey: for every target the fast hit path accepts, the key it
// builds from the raw bytes is the key the ordinary path builds from the
// parsed URL. Were they to differ, a page stored for one URL could be
// served for another (cache poisoning across keys), or a purge by URL
// could miss what the fast path serves.
func FuzzFastPathKey(f *testing.F) {
	f.Add("shop.test", "/products/red-shoe", "utm_source=x&b=2&a=1")
	f.Add("Shop.Test:80", "/p/%41%2f", "q=%20a+b&q=c")
	f.Add("[::1]:8080", "/a;b,c=d/@:", "&&=&")
	f.Add("h", "/search", "q=sofa&gclid=1&%71=x")
	f.Fuzz(func(t *testing.T, host, path, query string) {
		if !plainPath([]byte(path)) {
			return // declined: the ordinary path answers it
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || strings.ContainsAny(query, " #\x00\r\n") {
			return // h1 refuses the request before either path sees it
		}
		fast := cache.AppendKey(nil, http.MethodGet, host, false, path, query)
		r := &http.Request{Method: http.MethodGet, Host: host, URL: u, Header: http.Header{}}
		if slow := cache.Key(r, nil); string(fast) != slow {
			t.Fatalf("target %q host %q: fast key %q, ordinary key %q", target, host, fast, slow)
		}
	})
}

// FuzzPurgeLogEntry applies purge log entries as a follower reads them
// (package purge splits the stored tags with strings.Fields) to a real
// store: whatever the log holds, written by any version of any tier,
// applying it never panics, and applying it again (a follower restarting
// from an older seq) purges nothing more.
func FuzzPurgeLogEntry(f *testing.F) {
	f.Add("product-42 home", false)
	f.Add("agora:url:http://shop.test/products/x?utm_source=a agora:url:%zz agora:url:", true)
	f.Add("agora:url:http://[::1 agora:url:http://u:p@h/#f agora:all", false)
	f.Add("agora:all", true)
	st, err := cache.NewStore(cache.Config{MaxBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	e := &Edge{Store: st}
	f.Fuzz(func(t *testing.T, stored string, soft bool) {
		tags := strings.Fields(stored)
		e.ApplyPurge(purgelog.Entry{Tags: tags, Soft: soft})
		if n := e.applyTags(tags, soft); n != 0 && !soft && !slices.Contains(tags, allTag) && !hasURLTag(tags) {
			t.Fatalf("a second hard purge of %q touched %d responses", tags, n)
		}
	})
}

func hasURLTag(tags []string) bool {
	return slices.ContainsFunc(tags, func(t string) bool { return strings.HasPrefix(t, urlTagPrefix) })
}
