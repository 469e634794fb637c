package cache

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestPutFetched: a purge applied between BeginFetch and PutFetched covers
// the response when it names its key, its URL (the primary key of a
// variant), one of its tags, or everything; a soft one lets it in stale.
func TestPutFetched(t *testing.T) {
	t.Parallel()
	variant := requestKey(t, "/p/1", "Accept-Language")
	primary := requestKey(t, "/p/1")
	tests := []struct {
		name  string
		key   string
		purge func(s *Store)
		want  verdict
	}{
		{"nothing purged", primary, func(*Store) {}, untouched},
		{"its tag", primary, func(s *Store) { s.PurgeTag("product-1", false) }, hardPurged},
		{"its tag, soft", primary, func(s *Store) { s.PurgeTag("product-1", true) }, softPurged},
		{"soft then hard", primary, func(s *Store) { s.PurgeTag("product-1", true); s.PurgeTag("home", false) }, hardPurged},
		{"another tag", primary, func(s *Store) { s.PurgeTag("product-2", false) }, untouched},
		{"its key", primary, func(s *Store) { s.PurgeKey(primary) }, hardPurged},
		{"a variant's URL", variant, func(s *Store) { s.PurgeKey(primary) }, hardPurged},
		{"another URL", variant, func(s *Store) { s.PurgeKey(requestKey(t, "/p/10")) }, untouched},
		{"everything", primary, func(s *Store) { s.PurgeAll() }, hardPurged},
		{"everything, soft", primary, func(s *Store) { s.SoftPurgeAll() }, softPurged},
		{"everything, soft, then hard", primary, func(s *Store) { s.SoftPurgeAll(); s.PurgeAll() }, hardPurged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, 1<<20)
			s.PurgeTag("product-1", false) // before the fetch: irrelevant
			since := s.BeginFetch()
			defer s.EndFetch(since)
			tt.purge(s)
			e := entry(tt.key, 100, "product-1", "home")
			err := s.PutFetched(e, since)
			got, stored := s.Get(tt.key)
			switch tt.want {
			case hardPurged:
				if !errors.Is(err, ErrPurged) || stored {
					t.Errorf("PutFetched = %v, stored %v; want ErrPurged, nothing stored", err, stored)
				}
			case softPurged:
				if err != nil || got != e || e.State(t0) != StaleRevalidate {
					t.Errorf("PutFetched = %v, state %v; want it stored stale", err, e.State(t0))
				}
			default:
				if err != nil || got != e || e.State(t0) != Fresh {
					t.Errorf("PutFetched = %v, state %v; want it stored fresh", err, e.State(t0))
				}
			}
			checkIndex(t, s)
			// A fetch begun after the purge stores as usual.
			later := s.BeginFetch()
			defer s.EndFetch(later)
			if err := s.PutFetched(entry(tt.key, 100, "product-1"), later); err != nil {
				t.Errorf("a fetch begun after the purge: %v", err)
			}
		})
	}
}

// TestHistoryBounded: the purge history forgets what no fetch in flight
// can need, and past its bound forgets everything, counting the fetches
// still in flight as purged rather than letting them through.
func TestHistoryBounded(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<20)
	for i := range maxHistory + 10 {
		s.PurgeTag("t"+strconv.Itoa(i), false)
	}
	if n := len(s.hist.tags); n > maxHistory {
		t.Errorf("no fetch in flight, yet %d purges remembered", n)
	}
	since := s.BeginFetch()
	for i := range 2 * maxHistory {
		s.PurgeKey("k" + strconv.Itoa(i))
	}
	if n := len(s.hist.keys) + len(s.hist.tags); n > maxHistory {
		t.Errorf("%d purges remembered, bound %d", n, maxHistory)
	}
	if err := s.PutFetched(entry("other", 10, "x"), since); !errors.Is(err, ErrPurged) {
		t.Errorf("a fetch older than the forgotten purges: %v, want ErrPurged", err)
	}
	s.EndFetch(since)
	if len(s.hist.live) != 0 {
		t.Errorf("fetches in flight %v after the last ended", s.hist.live)
	}
}

func TestPrimaryKey(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/p/1", "/"} {
		p := requestKey(t, path)
		for _, k := range []string{p, requestKey(t, path, "Accept-Language"), requestKey(t, path, "Accept-Language", "Accept-Encoding")} {
			if got := primaryKey(k); got != p {
				t.Errorf("primaryKey(%q) = %q, want %q", k, got, p)
			}
		}
	}
}

func requestKey(t *testing.T, path string, vary ...string) string {
	t.Helper()
	u, err := url.Parse("http://shop.test" + path + "?a=1")
	if err != nil {
		t.Fatal(err)
	}
	return Key(&http.Request{Method: "GET", Host: u.Host, URL: u, Header: http.Header{"Accept-Language": {"fr"}}}, vary)
}
