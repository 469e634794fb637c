package cache

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func newTestStore(t *testing.T, maxBytes uint64) *Store {
	t.Helper()
	s, err := NewStore(Config{MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entry(key string, body int, tags ...string) *Entry {
	return &Entry{Key: key, Status: 200, Body: make([]byte, body), Tags: tags, StoredAt: t0,
		Freshness: Freshness{Lifetime: time.Minute, StaleWhileRevalidate: time.Minute}}
}

// checkIndex asserts the tag index names exactly the stored keys' tags.
func checkIndex(t *testing.T, s *Store) {
	t.Helper()
	s.c.CleanUp()
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	for tag, keys := range s.tags {
		for k, e := range keys {
			got, ok := s.c.GetIfPresent(k)
			if !ok || got != e {
				t.Fatalf("tag %q names key %q that is not stored", tag, k)
			}
		}
	}
	for k, e := range s.c.All() {
		for _, tag := range e.Tags {
			if s.tags[tag][k] != e {
				t.Fatalf("key %q missing from tag %q", k, tag)
			}
		}
	}
}

func TestPurgeTagLeavesOthers(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<30)
	const n = 10000
	for i := range n {
		if err := s.Put(entry(fmt.Sprint("k", i), 10, fmt.Sprint("product-", i%100), "home")); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.PurgeTag("product-7", false); got != n/100 {
		t.Fatalf("PurgeTag = %d, want %d", got, n/100)
	}
	s.c.CleanUp()
	for i := range n {
		_, ok := s.c.GetIfPresent(fmt.Sprint("k", i))
		if want := i%100 != 7; ok != want {
			t.Fatalf("key k%d present = %v, want %v", i, ok, want)
		}
	}
	checkIndex(t, s)
}

func TestPageWithManyTags(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<30)
	tags := make([]string, 5000)
	for i := range tags {
		tags[i] = fmt.Sprint("product-", i)
	}
	if err := s.Put(entry("home", 1000, tags...)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(entry("other", 10, "product-1")); err != nil {
		t.Fatal(err)
	}
	if got := s.PurgeTag("product-4999", false); got != 1 {
		t.Fatalf("PurgeTag = %d, want 1", got)
	}
	if _, ok := s.c.GetIfPresent("home"); ok {
		t.Fatal("home still stored")
	}
	if _, ok := s.c.GetIfPresent("other"); !ok {
		t.Fatal("other purged")
	}
	checkIndex(t, s)
}

func TestEvictionKeepsIndexAndBound(t *testing.T) {
	t.Parallel()
	const maxBytes = 1 << 20
	s := newTestStore(t, maxBytes)
	for i := range 10000 {
		if err := s.Put(entry(fmt.Sprint("k", i), 1000, fmt.Sprint("t", i%50), "all")); err != nil {
			t.Fatal(err)
		}
	}
	s.c.CleanUp()
	st := s.Stats()
	if st.Bytes > maxBytes {
		t.Fatalf("Bytes = %d over bound %d", st.Bytes, maxBytes)
	}
	if st.Entries == 0 || st.Entries >= 10000 {
		t.Fatalf("Entries = %d, want some evicted and some kept", st.Entries)
	}
	checkIndex(t, s)
	s.PurgeAll()
	checkIndex(t, s)
	if st := s.Stats(); st.Entries != 0 {
		t.Fatalf("Entries after PurgeAll = %d", st.Entries)
	}
}

func TestReplaceKeepsIndex(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<30)
	tests := []struct{ tags []string }{{[]string{"a", "b"}}, {[]string{"b", "c"}}, {nil}, {[]string{"a"}}}
	for _, tt := range tests {
		if err := s.Put(entry("k", 1, tt.tags...)); err != nil {
			t.Fatal(err)
		}
		checkIndex(t, s)
	}
	if got := s.PurgeTag("b", false); got != 0 {
		t.Fatalf("PurgeTag(b) = %d after retag, want 0", got)
	}
	if got := s.PurgeTag("a", false); got != 1 {
		t.Fatalf("PurgeTag(a) = %d, want 1", got)
	}
}

func TestSoftPurge(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<30)
	if err := s.Put(entry("k", 1, "product-1")); err != nil {
		t.Fatal(err)
	}
	if got := s.PurgeTag("product-1", true); got != 1 {
		t.Fatalf("PurgeTag soft = %d", got)
	}
	e, ok := s.Get("k")
	if !ok {
		t.Fatal("soft purge removed the entry")
	}
	if st := e.State(t0); st != StaleRevalidate {
		t.Fatalf("State after soft purge = %v, want %v", st, StaleRevalidate)
	}
}

func TestPutTooLargeAndStats(t *testing.T) {
	t.Parallel()
	s, err := NewStore(Config{MaxBytes: 1 << 20, MaxObjectBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(entry("big", 5000)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put big = %v, want ErrTooLarge", err)
	}
	if err := s.Put(entry("small", 100)); err != nil {
		t.Fatal(err)
	}
	s.Get("small")
	s.Get("big")
	if !s.PurgeKey("small") || s.PurgeKey("small") {
		t.Fatal("PurgeKey reported wrongly")
	}
	s.c.CleanUp()
	if st := s.Stats(); st.Hits != 1 || st.Misses != 1 || st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestConcurrentPutPurgeKeepsIndex(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 256<<10) // small: evictions race with puts and purges
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint("k", (i*7+w)%500)
				_ = s.Put(entry(k, 500, fmt.Sprint("t", i%20), fmt.Sprint("w", w)))
				s.Get(k)
				if i%97 == 0 {
					s.PurgeTag(fmt.Sprint("t", i%20), i%2 == 0)
				}
				if i%501 == 0 {
					s.PurgeKey(k)
				}
			}
		})
	}
	wg.Wait()
	checkIndex(t, s)
	if st := s.Stats(); st.Bytes > 256<<10 {
		t.Fatalf("Bytes = %d over bound", st.Bytes)
	}
}

// TestEncodedCounted checks that coded variants weigh in the store's bound.
func TestEncodedCounted(t *testing.T) {
	t.Parallel()
	s := newTestStore(t, 1<<20)
	plain, coded := entry("plain", 1000), entry("coded", 1000)
	coded.Encoded = map[string][]byte{"gzip": make([]byte, 300)}
	for _, e := range []*Entry{plain, coded} {
		if err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	if d := coded.weight - plain.weight; d < 300 {
		t.Errorf("coded entry weighs %d more, want at least 300", d)
	}
}

// TestReplace: a version with encoded bodies takes its entry's place only
// while that entry is still the stored one, so a purge or a newer response
// is never undone, and a soft purge reaches whichever version is stored.
func TestReplace(t *testing.T) {
	t.Parallel()
	coded := map[string][]byte{"gzip": make([]byte, 300)}
	steps := []struct {
		name     string
		between  func(s *Store, old *Entry) // what happens after old is read
		replaced bool
	}{
		{"nothing in between", func(*Store, *Entry) {}, true},
		{"hard purge by tag", func(s *Store, _ *Entry) { s.PurgeTag("product-1", false) }, false},
		{"purge by key", func(s *Store, old *Entry) { s.PurgeKey(old.Key) }, false},
		{"purge all", func(s *Store, _ *Entry) { s.PurgeAll() }, false},
		{"newer response stored", func(s *Store, _ *Entry) { s.Put(entry("/p/1", 1000, "product-1")) }, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			s := newTestStore(t, 1<<20)
			old := entry("/p/1", 1000, "product-1", "home")
			if err := s.Put(old); err != nil {
				t.Fatal(err)
			}
			s.c.CleanUp()
			before := s.Stats().Bytes
			st.between(s, old)
			current, wasThere := s.Get("/p/1")
			nw := old.WithEncoded(coded)
			ok, err := s.Replace(old, nw)
			if err != nil || ok != st.replaced {
				t.Fatalf("Replace = %v, %v; want %v", ok, err, st.replaced)
			}
			got, found := s.Get("/p/1")
			s.c.CleanUp()
			switch {
			case st.replaced && (got != nw || s.Stats().Bytes <= before):
				t.Errorf("stored %p (new %p), bytes %d → %d: want the new version, weighed with its codings", got, nw, before, s.Stats().Bytes)
			case !st.replaced && (found != wasThere || got != current):
				t.Errorf("after a lost replace the store holds %p (found %v); want what was there: %p (%v)", got, found, current, wasThere)
			}
			checkIndex(t, s)
			if st.replaced {
				s.PurgeTag("home", false)
				if _, found := s.Get("/p/1"); found {
					t.Error("the tag index does not reach the new version")
				}
			}
		})
	}
	t.Run("soft purge of the old version marks the new", func(t *testing.T) {
		s := newTestStore(t, 1<<20)
		old := entry("/p/1", 1000, "product-1")
		if err := s.Put(old); err != nil {
			t.Fatal(err)
		}
		nw := old.WithEncoded(coded)
		old.soft.Store(true) // as PurgeTag does to what it found in the index
		if ok, _ := s.Replace(old, nw); !ok || !nw.SoftPurged() || nw.State(t0) != StaleRevalidate {
			t.Errorf("replaced %v, new version soft-purged %v: the purge was lost", ok, nw.SoftPurged())
		}
	})
}
