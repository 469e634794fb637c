package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/cachehdr"
	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

const testSecret = "s3cret-of-the-cluster"

var purgeT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func appendPurges(t *testing.T, db *store.DB, at time.Time, tags ...[]string) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		for _, tg := range tags {
			if err := purge.Append(context.Background(), tx, db.Dialect, tg, len(tg) > 1, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (ts *testServer) getPurges(t *testing.T, query, secret string) (response, purgesAnswer) {
	t.Helper()
	req := newRequest(t, "GET", ts.http.URL+purgesPath+query, "")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res := ts.do(t, req)
	var ans purgesAnswer
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &ans); err != nil {
			t.Fatalf("%s: %v in %q", query, err, res.body)
		}
	}
	return res, ans
}

func TestPurgesAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		open := newTestServer(t, db, Config{})
		if res, _ := open.getPurges(t, "", testSecret); res.status != http.StatusNotFound {
			t.Errorf("no cluster secret configured: status %d, want 404", res.status)
		}
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		for _, c := range []struct {
			name, secret string
			want         int
		}{
			{"no secret", "", http.StatusUnauthorized},
			{"wrong secret", "guess", http.StatusUnauthorized},
			{"a prefix of the secret", testSecret[:4], http.StatusUnauthorized},
			{"the secret", testSecret, http.StatusOK},
		} {
			res, _ := ts.getPurges(t, "", c.secret)
			if res.status != c.want {
				t.Errorf("%s: status %d, want %d (%s)", c.name, res.status, c.want, res.body)
			}
			if cc := res.header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s: Cache-Control %q", c.name, cc)
			}
			if c.want == http.StatusUnauthorized && res.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: Content-Type %q, want JSON", c.name, res.header.Get("Content-Type"))
			}
		}
	})
}

func TestPurgesRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		if _, ans := ts.getPurges(t, "", testSecret); ans.Head != 0 || len(ans.Entries) != 0 {
			t.Errorf("empty log: %+v, want head 0", ans)
		}
		appendPurges(t, db, purgeT0, []string{"product-1"}, []string{"category-2", "home"}, []string{"categories"})
		all, err := purge.Since(context.Background(), db, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		head := all[2].Seq
		for _, c := range []struct {
			name, query string
			wantSeqs    []int64
		}{
			{"head only", "", nil},
			{"from the start", "?after=0", []int64{all[0].Seq, all[1].Seq, all[2].Seq}},
			{"after the first", fmt.Sprintf("?after=%d", all[0].Seq), []int64{all[1].Seq, all[2].Seq}},
			{"at the head, no wait", fmt.Sprintf("?after=%d&wait=0s", head), nil},
		} {
			res, ans := ts.getPurges(t, c.query, testSecret)
			if res.status != http.StatusOK || ans.Head != head || ans.Gap {
				t.Errorf("%s: %d %+v, want head %d and no gap", c.name, res.status, ans, head)
			}
			var seqs []int64
			for _, e := range ans.Entries {
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(seqs, c.wantSeqs) {
				t.Errorf("%s: seqs %v, want %v", c.name, seqs, c.wantSeqs)
			}
		}
		_, ans := ts.getPurges(t, fmt.Sprintf("?after=%d", all[0].Seq), testSecret)
		if e := ans.Entries[0]; !slices.Equal(e.Tags, []string{"category-2", "home"}) || !e.Soft {
			t.Errorf("entry = %+v, want soft purge of category-2 home", e)
		}
		for _, q := range []string{"?after=x", "?after=-1", "?after=1&wait=soon"} {
			if res, _ := ts.getPurges(t, q, testSecret); res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, res.status)
			}
		}
	})
}

// TestPurgesAnswerBounded: entries with very many tags are split over
// answers by size, so no answer outgrows what a follower reads (8 MiB),
// and a follower asking again gets the rest.
func TestPurgesAnswerBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		big := make([]string, 200_000) // ≈ 2.6 MB of tags per entry
		for i := range big {
			big[i] = fmt.Sprintf("product-%d", i)
		}
		appendPurges(t, db, purgeT0, big, big, big, big)
		var seqs []int64
		after := int64(0)
		for range 4 {
			res, ans := ts.getPurges(t, fmt.Sprintf("?after=%d", after), testSecret)
			if res.status != http.StatusOK || len(res.body) > 8<<20 {
				t.Fatalf("status %d, %d bytes: want 200 within 8 MiB", res.status, len(res.body))
			}
			for _, e := range ans.Entries {
				if len(e.Tags) != len(big) {
					t.Fatalf("entry %d has %d tags, want %d", e.Seq, len(e.Tags), len(big))
				}
				seqs = append(seqs, e.Seq)
				after = e.Seq
			}
			if after == ans.Head {
				break
			}
		}
		if len(seqs) != 4 {
			t.Errorf("read entries %v, want all 4 over several answers", seqs)
		}
	})
}

// TestPurgesLongPollWakes proves a waiting poll answers when this instance
// commits a write: the DB poll is made hourly so only the nudge can wake it.
func TestPurgesLongPollWakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		waiting := make(chan struct{}, 1)
		ts.purges.pollEvery = time.Hour
		ts.purges.waiting = func() { waiting <- struct{}{} }
		appendPurges(t, db, purgeT0, []string{"product-1"})
		_, ans := ts.getPurges(t, "", testSecret)

		got := make(chan purgesAnswer, 1)
		go func() {
			_, a := ts.getPurges(t, fmt.Sprintf("?after=%d&wait=30s", ans.Head), testSecret)
			got <- a
		}()
		<-waiting
		appendPurges(t, db, purgeT0, []string{"product-2"})
		// Any unsafe request this instance finishes nudges the waiters, as
		// an admin edit that appended would.
		ts.do(t, newRequest(t, "POST", ts.http.URL+"/no-such-form", ""))
		a := <-got
		if len(a.Entries) != 1 || a.Entries[0].Seq != ans.Head+1 || a.Entries[0].Tags[0] != "product-2" {
			t.Errorf("woken poll answered %+v, want product-2 at seq %d", a, ans.Head+1)
		}
	})
}

func TestPurgesTrimAndGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		ts.purges.now = func() time.Time { return purgeT0 }
		tags := make([][]string, purgeKeep+3)
		for i := range tags {
			tags[i] = []string{fmt.Sprintf("product-%d", i)}
		}
		appendPurges(t, db, purgeT0.Add(-2*purgeKeepFor), tags...)
		appendPurges(t, db, purgeT0, []string{"fresh"})
		n, err := ts.purges.trim(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 1,004 entries: the newest 1,000 stay although 999 are old.
		if n != 4 {
			t.Errorf("trimmed %d, want 4", n)
		}
		_, head := ts.getPurges(t, "", testSecret)
		oldest := head.Head - purgeKeep + 1
		for _, c := range []struct {
			name  string
			after int64
			gap   bool
		}{
			{"from the start is no gap", 0, false},
			{"trimmed entries missed", 1, true},
			{"just before the oldest kept", oldest - 1, false},
			{"ahead of the head: the log was reset", head.Head + 5, true},
		} {
			_, ans := ts.getPurges(t, fmt.Sprintf("?after=%d", c.after), testSecret)
			if ans.Gap != c.gap || ans.Head != head.Head {
				t.Errorf("%s: gap %v head %d, want gap %v head %d", c.name, ans.Gap, ans.Head, c.gap, head.Head)
			}
			if !c.gap && (len(ans.Entries) == 0 || ans.Entries[0].Seq != max(c.after+1, oldest)) {
				t.Errorf("%s: entries start %+v, want seq %d", c.name, ans.Entries[:min(1, len(ans.Entries))], max(c.after+1, oldest))
			}
		}
		if n, err := ts.purges.trim(context.Background()); err != nil || n != 0 {
			t.Errorf("second trim: %d, %v; want nothing", n, err)
		}
	})
}

func (ts *testServer) postPurges(t *testing.T, secret, body string) response {
	t.Helper()
	req := newRequest(t, "POST", ts.http.URL+purgesPath, body)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	return ts.do(t, req)
}

func TestPurgesAppend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		open := newTestServer(t, db, Config{})
		if res := open.postPurges(t, testSecret, `{"tags":["home"]}`); res.status != http.StatusNotFound {
			t.Errorf("no cluster secret configured: status %d, want 404", res.status)
		}
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		for _, secret := range []string{"", "guess"} {
			if res := ts.postPurges(t, secret, `{"tags":["home"]}`); res.status != http.StatusUnauthorized {
				t.Errorf("secret %q: status %d, want 401", secret, res.status)
			}
		}
		long := strings.Repeat("x", cachehdr.MaxTagBytes+1)
		for _, c := range []struct{ body, msg string }{
			{``, "one JSON object"},
			{`{"tags":["a"]}{}`, "one JSON object"},
			{`{"tags":["a"],"all":true}`, `unknown field "all"`},
			{`{"tags":[]}`, "at least one tag"},
			{`{"tags":[""]}`, "empty"},
			{`{"tags":["a b"]}`, "one token"},
			{`{"tags":["a\u0000b"]}`, "one token"},
			{`{"tags":["` + long + `"]}`, "longer than"},
			{`{"tags":["t` + strings.Repeat(`","t`, maxPurgeTags) + `"]}`, "at most 256"},
		} {
			res := ts.postPurges(t, testSecret, c.body)
			var ans struct{ Error string }
			json.Unmarshal([]byte(res.body), &ans)
			if res.status != http.StatusBadRequest || !strings.Contains(ans.Error, c.msg) {
				t.Errorf("%.40s: %d %q, want 400 saying %q", c.body, res.status, ans.Error, c.msg)
			}
		}
		if _, ans := ts.getPurges(t, "", testSecret); ans.Head != 0 {
			t.Fatalf("refused purges appended: head %d", ans.Head)
		}

		res := ts.postPurges(t, testSecret, `{"tags":["product-1","agora:url:http://shop.test/p?a=1&b=2"],"soft":true}`)
		var got struct{ Seq int64 }
		if err := json.Unmarshal([]byte(res.body), &got); err != nil || res.status != http.StatusCreated || got.Seq == 0 {
			t.Fatalf("append: %d %q", res.status, res.body)
		}
		if cc := res.header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		_, ans := ts.getPurges(t, "?after=0", testSecret)
		if len(ans.Entries) != 1 || ans.Entries[0].Seq != got.Seq || !ans.Entries[0].Soft ||
			!slices.Equal(ans.Entries[0].Tags, []string{"product-1", "agora:url:http://shop.test/p?a=1&b=2"}) {
			t.Errorf("log after append: %+v, want seq %d", ans, got.Seq)
		}

		// A long purge becomes several bounded entries, in one transaction;
		// the answer is the last seq.
		tags := make([]string, maxPurgeTags)
		for i := range tags {
			tags[i] = fmt.Sprintf("product-%d-%s", i, strings.Repeat("x", 40))
		}
		body, _ := json.Marshal(map[string]any{"tags": tags})
		res = ts.postPurges(t, testSecret, string(body))
		var last struct{ Seq int64 }
		json.Unmarshal([]byte(res.body), &last)
		_, ans = ts.getPurges(t, fmt.Sprintf("?after=%d", got.Seq), testSecret)
		var back []string
		for _, e := range ans.Entries {
			if n := len(strings.Join(e.Tags, " ")); n > maxPurgeEntryBytes {
				t.Errorf("entry %d holds %d bytes of tags", e.Seq, n)
			}
			back = append(back, e.Tags...)
		}
		if res.status != http.StatusCreated || len(ans.Entries) < 2 || ans.Head != last.Seq || !slices.Equal(back, tags) {
			t.Errorf("long purge: %d, %d entries up to %d (answered %d), tags kept %v",
				res.status, len(ans.Entries), ans.Head, last.Seq, slices.Equal(back, tags))
		}
	})
}

func TestPurgeEntries(t *testing.T) {
	big := strings.Repeat("x", maxPurgeEntryBytes)
	half := strings.Repeat("y", maxPurgeEntryBytes/2)
	for _, c := range []struct {
		tags []string
		want int
	}{
		{[]string{"a"}, 1},
		{[]string{"a", "b", "c"}, 1},
		{[]string{big}, 1},
		{[]string{big, "a"}, 2},
		{[]string{"a", big, "b"}, 3},
		{[]string{half, half}, 2}, // the separator tips it over
		{[]string{half[1:], half}, 1},
	} {
		got := purgeEntries(c.tags)
		var back []string
		for _, e := range got {
			back = append(back, e...)
			if len(strings.Join(e, " ")) > maxPurgeEntryBytes {
				t.Errorf("entry of %d bytes", len(strings.Join(e, " ")))
			}
		}
		if len(got) != c.want || !slices.Equal(back, c.tags) {
			t.Errorf("%d tags: %d entries, want %d (order kept: %v)", len(c.tags), len(got), c.want, slices.Equal(back, c.tags))
		}
	}
}

// TestPurgesCarryTheLSN: on PostgreSQL every answer carries the primary's
// WAL position, read after the entries, so it is at or past the commit
// of each (an edge sends it back for replica reads, replica.go); SQLite
// has no such position and the field is left out.
func TestPurgesCarryTheLSN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		appendPurges(t, db, purgeT0, []string{"product-1"})
		before, err := db.CurrentLSN(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		res, ans := ts.getPurges(t, "?after=0", testSecret)
		if db.Dialect == store.SQLite {
			if strings.Contains(res.body, `"lsn"`) {
				t.Errorf("SQLite answer carries an lsn: %s", res.body)
			}
			return
		}
		lsn, err := store.ParseLSN(ans.LSN)
		if err != nil || lsn < before || before == 0 {
			t.Errorf("answer lsn %q (%v), want a position at or past %s, read after the append", ans.LSN, err, before)
		}
	})
}
